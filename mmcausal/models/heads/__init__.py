from .tde_cls_head import TDEClsHead

__all__ = ['TDEClsHead']
