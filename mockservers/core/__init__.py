"""What every fake shares: the clock, tokens, the journal, faults, the request pipeline."""
