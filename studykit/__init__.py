"""studykit: Keras 3 components, live experiments and a Korean interview quiz.

Importing the package is cheap: Keras is imported only by the component and
experiment modules that need it, so the quiz can start without TensorFlow.
"""

__version__ = "0.1.0"
