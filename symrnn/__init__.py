"""symrnn: worked, checked, typeset derivations of the gradients of recurrent networks.

The pipeline: ``derive`` unrolls a model and writes ∂loss/∂wrt as a sum
over paths of products of Jacobians; ``check`` proves it against finite
differences; ``present`` and ``render`` typeset it.
"""

__version__ = "0.1.0"
