"""Library code that builds runners: the short-budget long-tailed protocol."""
from .long_tail_protocol import (ROWS, long_tailed_options, score_seed, summarize,
                                 tiny_run_options, train)

__all__ = ['ROWS', 'long_tailed_options', 'score_seed', 'summarize', 'tiny_run_options', 'train']
