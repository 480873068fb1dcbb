"""``python -m services.dataquartiers`` runs the dataquartiers service."""

from services.dataquartiers.app import main

main()
