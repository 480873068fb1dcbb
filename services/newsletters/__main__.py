"""``python -m services.newsletters`` runs the newsletters service."""

from services.newsletters.app import main

main()
