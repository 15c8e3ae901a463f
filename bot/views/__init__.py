"""Pure Block Kit builders for one surface each (classification menus, leads summaries, App Home)."""
