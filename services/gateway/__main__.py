"""``python -m services.gateway`` runs the gateway."""

from services.gateway.app import main

main()
