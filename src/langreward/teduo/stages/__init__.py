"""TEDUO's stages, one module per step of the paper, each stage one function of the run's
shared :class:`~langreward.teduo.stages.context.TEDUORun`:

- :mod:`.data` (before step 1): the goals and layouts, the unlabelled dataset;
- :mod:`.step1`: the LLM's abstraction per goal, its labels of sample states, a proxy reward;
- :mod:`.step2`: offline Q-learning per goal (and the step-2 policies);
- :mod:`.step3`: distillation into a small LLM by LoRA (and that LLM agent);
- :mod:`.evaluation`: every policy on training/unseen layouts and goals;
- :mod:`.metrics`: step 1 against BabyAI's own rules, apart from training.

:mod:`langreward.teduo.pipeline` puts them in order.
"""
