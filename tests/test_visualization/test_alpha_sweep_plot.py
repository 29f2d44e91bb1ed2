"""The Fig. 4 plot of alpha sweeps: a PNG of the groups present, for one seed or several."""
from matplotlib.image import imread

from mmcausal.visualization import plot_sweeps

SWEEP = [dict(alpha=0.0, overall=70.0, many=90.0, few=40.0),
         dict(alpha=1.0, overall=75.0, many=85.0, few=60.0)]


def test_plot_sweeps_writes_a_png(tmp_path):
    for seeds in (1, 2):
        path = tmp_path / f'{seeds}.png'
        sweeps = [SWEEP] + [[dict(point, overall=point['overall'] + 1) for point in SWEEP]] * (
            seeds - 1)
        plot_sweeps(sweeps, str(path), 'title', {'paper alpha = 1': 1.0})
        assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
        assert imread(str(path)).shape[:2] == (400, 600)  # 6 x 4 inches at 100 dpi
