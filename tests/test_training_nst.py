"""VGG weight loading (the real pickle path, on a narrow VGG16-shaped network) and Gatys NST."""

from __future__ import annotations

import os
import pickle

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf
from _tiny_vgg import WIDTHS, write_tiny_vgg

from training import nst, vgg
from training.__main__ import main
from training.xdog import sketch_for


@pytest.fixture()
def tiny_vgg(tmp_path):
    return write_tiny_vgg(tmp_path / "tiny_vgg16.ckpt")


def _small_pair(faces_dir, size=48):
    color = cv2.cvtColor(cv2.imread(str(faces_dir / "test" / "0005.jpg")), cv2.COLOR_BGR2RGB)
    color = cv2.resize(color, (size, size), interpolation=cv2.INTER_AREA)
    return nst.sketch_rgb(sketch_for(color, "k", 0)), color


def test_pickled_vgg_loads_into_keras_with_the_vgg16_layout(tiny_vgg):
    weights = vgg.resolve_vgg_weights(tiny_vgg)
    assert (weights.arch, weights.format) == ("vgg16", "pickle")
    feats = vgg.VggFeatures(weights, ("block1_conv1", "block5_conv3"))
    first, last = feats(np.random.default_rng(0).random((1, 32, 32, 3), np.float32))
    assert first.shape == (1, 32, 32, WIDTHS[0]) and last.shape == (1, 2, 2, WIDTHS[-1])
    # the loaded kernel is the file's, in the layer of the same VGG name
    with open(tiny_vgg, "rb") as fh:
        arrays = pickle.load(fh)["VGG16_0"]
    conv = feats.model.get_layer("block3_conv2")
    np.testing.assert_array_equal(conv.get_weights()[0], arrays["Conv_5"]["kernel"])
    assert vgg.layer_names("vgg16")[5] == "block3_conv2"


def test_weights_pickle_that_would_run_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.ckpt"
    path.write_bytes(pickle.dumps({"VGG16_0": {"Conv_0": Evil()}}))
    with pytest.raises(vgg.VggWeightsUnavailable, match="refusing to load"):
        vgg.resolve_vgg_weights(path)


def test_offline_without_weights_says_how_to_provide_them(tmp_path, monkeypatch):
    monkeypatch.setenv("GANIME_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(vgg.VggWeightsUnavailable) as err:
        vgg.resolve_vgg_weights(allow_download=False)
    assert "--vgg-weights FILE" in str(err.value) and "network access" in str(err.value)


def test_gram_matrix_is_divided_by_positions():
    f = np.zeros((1, 2, 3, 2), np.float32)
    f[0, :, :, 0] = 1.0
    f[0, 0, 0, 1] = 6.0
    g = nst.gram_matrix(tf.constant(f)).numpy()[0]
    np.testing.assert_allclose(g, [[1.0, 1.0], [1.0, 6.0]])  # sums 6, 6, 36 over 6 positions


def test_adam_step_equals_keras_adam(tiny_vgg, faces_dir):
    transfer = nst.StyleTransfer.from_weights(vgg.resolve_vgg_weights(tiny_vgg))
    sketch, color = _small_pair(faces_dir, 32)
    content = tf.constant(sketch[None].astype(np.float32) / 255)
    targets = transfer.targets(content, tf.constant(color[None].astype(np.float32) / 255))
    image, m, v, t = content, tf.zeros_like(content), tf.zeros_like(content), tf.constant(0.0)
    var = tf.Variable(content)
    opt = keras.optimizers.Adam(nst.LEARNING_RATE, beta_1=nst.BETA1, beta_2=nst.BETA2, epsilon=nst.EPSILON)
    for _ in range(3):
        image, m, v, t, _ = transfer._step(image, m, v, t, *targets)
        with tf.GradientTape() as tape:
            loss = transfer.loss(var, *targets)
        opt.apply_gradients([(tape.gradient(loss, var), var)])
        var.assign(tf.clip_by_value(var, 0.0, 1.0))
    np.testing.assert_allclose(image.numpy(), var.numpy(), atol=1e-6)


def test_nst_lowers_its_loss_and_colours_the_sketch(tiny_vgg, faces_dir):
    transfer = nst.StyleTransfer.from_weights(vgg.resolve_vgg_weights(tiny_vgg))
    sketch, color = _small_pair(faces_dir)
    out, losses = transfer.run(sketch, color, steps=40)
    assert out.shape == sketch.shape and out.dtype == np.uint8
    assert losses[-1] < 0.5 * losses[0]
    assert np.abs(out.astype(int) - sketch).mean() > 5  # it moved away from the gray sketch


def test_cli_one_pair_and_a_dataset_split(tiny_vgg, faces_dir, tmp_path):
    sketch, color = _small_pair(faces_dir)
    cv2.imwrite(str(tmp_path / "sketch.png"), sketch)
    cv2.imwrite(str(tmp_path / "color.png"), cv2.cvtColor(color, cv2.COLOR_RGB2BGR))
    out = tmp_path / "out.png"
    rc = main(["nst", "--content", str(tmp_path / "sketch.png"), "--style", str(tmp_path / "color.png"),
               "--out", str(out), "--steps", "3", "--vgg-weights", str(tiny_vgg)])
    assert rc == 0 and cv2.imread(str(out)).shape == (48, 48, 3)
    rc = main(["nst", "--data", str(faces_dir), "--split", "test", "--limit", "2", "--load-size", "32",
               "--out-dir", str(tmp_path / "split"), "--steps", "2", "--vgg-weights", str(tiny_vgg),
               "--cache-dir", str(tmp_path / "cache")])
    assert rc == 0
    assert sorted(p.name for p in (tmp_path / "split").iterdir()) == ["0000.png", "0001.png", "nst.json"]
    assert main(["nst", "--content", str(tmp_path / "sketch.png")]) == 2  # incomplete pair: usage error
