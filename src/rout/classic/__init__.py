"""The classic models rout builds on, each reproducing its published result.

`granovetter` (threshold cascades), `kuran` (preference falsification),
`epstein` (civil violence, Model I, compiled and checked against Mesa), and
`lanchester` (attrition laws, whose `losses` the engine's combat uses).
"""
