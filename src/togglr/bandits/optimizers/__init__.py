"""Optimizers: tune one number that is served as the flag's value."""

from togglr.bandits.optimizers.annealing import SimulatedAnnealing
from togglr.bandits.optimizers.base import Optimizer, format_value
from togglr.bandits.optimizers.bayes_opt import BayesOpt
from togglr.bandits.optimizers.cem import CrossEntropy
from togglr.bandits.optimizers.hill_climb import HillClimb
from togglr.bandits.optimizers.pid import PidController

__all__ = [
    "BayesOpt",
    "CrossEntropy",
    "HillClimb",
    "Optimizer",
    "PidController",
    "SimulatedAnnealing",
    "format_value",
]
