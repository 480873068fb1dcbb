"""Messages owned by the events service (agenda, registrations, calls for applications).

Only the health query exists so far; the domain messages arrive with the events issue.
"""
