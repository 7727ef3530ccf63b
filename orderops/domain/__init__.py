"""Pure rules over plain values: no database, no I/O, stdlib only."""
