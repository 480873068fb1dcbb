"""dataquartiers: the QPV reference, indicators published only through statistical secrecy, use
cases and territory sheets (the centre's "Data & Quartiers" unit).

Owns the DATAQUARTIERS stream. Answers ``rpc.dataquartiers.catalogue.get.v1`` (the indicator
catalogue), ``rpc.dataquartiers.dataset.upload.v1`` / ``.get.v1`` / ``.publish.v1`` (indicator
files read into draft datasets, then published) and ``rpc.dataquartiers.indicator.values.v1``
(published values only: statistical secrecy applied, hidden cells as ``"s"`` with the reason);
emits ``reso.dataquartiers.indicator.published.v1`` once per indicator and vintage published.
Raw values never leave it.
"""
