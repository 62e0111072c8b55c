"""Electronic fee collection: plates, what is owed, payment notifications (pure rules)."""
