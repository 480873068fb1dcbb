"""``python -m services.members`` runs the members service."""

from services.members.app import main

main()
