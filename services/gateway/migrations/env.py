from services.gateway.store import metadata
from services.runtime.migrations import run_env

run_env(metadata)
