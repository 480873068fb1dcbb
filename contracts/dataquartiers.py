"""Messages owned by the dataquartiers service (QPV reference, indicators, territory sheets).

Only the health query exists so far; the domain messages arrive with the Data & Quartiers issue.
"""
