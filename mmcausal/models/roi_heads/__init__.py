from .tde_bbox_head import TDEShared2FCBBoxHead

__all__ = ['TDEShared2FCBBoxHead']
