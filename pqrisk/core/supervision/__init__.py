"""Supervision by risk (issue 10 parts 3–7): explained credit-risk grades, the
differentiated spot-check plan, trigger rules and measures. Pure Python, no Django."""
