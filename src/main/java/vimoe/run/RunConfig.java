package vimoe.run;

import java.util.List;
import vimoe.model.VitConfig;

/**
 * Everything a training run was started with, saved as {@code config.json} in the run directory so
 * that {@code eval}, {@code predict} and {@code --resume} rebuild exactly the same model and data.
 *
 * @param dataset the dataset spec ({@code fashion-mnist}, {@code idx:DIR}, {@code cifar10:DIR},
 *     {@code folder:DIR})
 * @param dataDir the {@code --data-dir} option, or null
 * @param variant the model variant the configuration started from
 * @param model the model
 * @param train the training recipe
 * @param mean per-channel normalisation mean, measured on the training split
 * @param std per-channel normalisation standard deviation, measured on the training split
 * @param classNames the class names, in label order
 */
public record RunConfig(
    String dataset,
    String dataDir,
    String variant,
    VitConfig model,
    TrainConfig train,
    float[] mean,
    float[] std,
    List<String> classNames) {}
