"""The diner registry: meal-card numbers, names and departments, imported from the meal-card system."""
