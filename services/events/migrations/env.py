from services.events.store import metadata
from services.runtime.migrations import run_env

run_env(metadata)
