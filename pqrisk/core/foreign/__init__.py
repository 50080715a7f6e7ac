"""Foreign recall alerts (EU Safety Gate, US CPSC) tagged in our terms — no Django here."""
