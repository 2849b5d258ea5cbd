package vimoe.cli;

import ai.djl.ndarray.NDManager;

public final class Main {
    public static void main(String[] args) {
        try (NDManager m = NDManager.newBaseManager()) {
            var a = m.create(new double[] {1, 2, 3});
            System.out.println(a.erf() + " " + a.getDataType() + " " + m.getEngine().getEngineName() + m.getEngine().getVersion());
        }
    }
}
