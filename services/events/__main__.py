"""``python -m services.events`` runs the events service."""

from services.events.app import main

main()
