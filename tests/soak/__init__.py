"""The soak: the whole system at a steady load for minutes, with repeated kills and restarts, and the
exact-count checks once it has drained (``./dev soak``; README "Soak")."""
