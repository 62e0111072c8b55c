"""Cases: the GB/T 30428 workflow a problem goes through, from 立案 to 结案 (pure rules)."""
