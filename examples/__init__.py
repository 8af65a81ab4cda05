"""Examples of agents for SmartAlex (not installed with the package)."""
