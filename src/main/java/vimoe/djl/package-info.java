/**
 * vimoe in DJL's own terms: a trained run loads through {@link ai.djl.repository.zoo.Criteria} into
 * a {@link ai.djl.repository.zoo.ZooModel} ({@link VimoeModelZoo}, {@link VitTranslator}), and
 * {@link RoutingTelemetry} reports the routing of every MoE layer to any DJL {@link
 * ai.djl.training.Trainer}.
 */
package vimoe.djl;
