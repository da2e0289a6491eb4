"""agenttui's core: git model, plan, isolation check, dispatch, watchers.  Never imports Textual."""
