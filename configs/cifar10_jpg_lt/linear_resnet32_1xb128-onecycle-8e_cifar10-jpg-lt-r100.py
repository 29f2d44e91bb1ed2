# Short-budget benchmark config: the baseline, the plain linear classifier w.x + b, on the data
# and schedule of the de-confound config of this folder (as configs/cifar_lt/linear_* is to
# configs/cifar_lt/deconfound_*). Post-hoc logit adjustment (Menon et al., ICLR 2021) is scored
# from its checkpoint by benchmarks/cifar10_lt_cpu.sh, no retraining.
_base_ = './deconfound_resnet32_1xb128-onecycle-8e_cifar10-jpg-lt-r100.py'

model = dict(head=dict(classifier='linear'))
