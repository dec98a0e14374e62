"""Firebase Authentication accounts of database users: settings, client, actions, drift."""
