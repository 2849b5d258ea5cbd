/**
 * Datasets: labelled uint8 images in memory ({@link vimoe.data.ImageSet}), their readers (MNIST
 * IDX, CIFAR-10 binary, image folders), locating and verifying Fashion-MNIST, the {@code --dataset}
 * syntax ({@link vimoe.data.DatasetSpec}, {@link vimoe.data.Datasets}), augmentation, the fast
 * batch builder of the training loop and a DJL {@link ai.djl.training.dataset.RandomAccessDataset}
 * view.
 *
 * <p>Shapes: N images, Ch channels, H height, W width, B images per batch. Pixels are stored N x Ch
 * x H x W (channel-major, like PyTorch).
 */
package vimoe.data;
