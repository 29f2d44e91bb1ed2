# Short-budget benchmark config (benchmarks/cifar10_lt_cpu.sh, tools/demo.py), not a paper row:
# the paper's ResNet-32 and head (K=2, tau=16, gamma=1/32) on CIFAR-10-LT ratio 100 drawn from a
# folder of CIFAR-10 training images, trained with a schedule made for short CPU runs (8 epochs
# of one-cycle, batch 128; _base_/schedules/cifar_lt_bs128_onecycle_8e.py says why).
_base_ = [
    '../_base_/models/tde_resnet32_cifar.py', '../_base_/datasets/cifar10_jpg_lt.py',
    '../_base_/schedules/cifar_lt_bs128_onecycle_8e.py', '../_base_/default_runtime.py'
]

train_dataloader = dict(batch_size=128)

# Log every 10 iterations; save only the last epoch's checkpoint.
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=-1))
