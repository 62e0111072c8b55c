"""Who may do what: API keys, roles, zone and district scopes, rate limits. No HTTP here."""
