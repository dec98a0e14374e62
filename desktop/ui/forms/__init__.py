"""Forms and dialogs that change data: users, organizations, plugins, imports, audit."""
