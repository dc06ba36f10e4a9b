package io.tierlog.server;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes the console's screenshots for the README as small PNGs: a page of flat colours needs few of them, so the
 * image is reduced to a palette of its 256 most frequent colours (every other pixel takes the nearest one), which
 * keeps text crisp at a fraction of the size. Where they go: {@code -Dtierlog.screenshots=DIR} (docs/console when
 * regenerating the committed ones), else {@code target/console-screenshots}.
 */
final class Screenshots {
    private Screenshots() {
    }

    static Path dir() {
        String d = System.getProperty("tierlog.screenshots");
        return Path.of(d == null || d.isBlank() ? "target/console-screenshots" : d);
    }

    static Path save(String name, byte[] png) {
        try {
            BufferedImage src = ImageIO.read(new ByteArrayInputStream(png));
            Path out = Files.createDirectories(dir()).resolve(name + ".png");
            ImageIO.write(toPalette(src), "png", out.toFile());
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BufferedImage toPalette(BufferedImage src) {
        int w = src.getWidth();
        int h = src.getHeight();
        int[] px = src.getRGB(0, 0, w, h, null, 0, w);
        Map<Integer, Integer> counts = new HashMap<>();
        for (int p : px) {
            counts.merge(p & 0xffffff, 1, Integer::sum);
        }
        int[] palette = counts.entrySet().stream().sorted(Map.Entry.<Integer, Integer>comparingByValue().reversed())
                .limit(256).mapToInt(Map.Entry::getKey).toArray();
        byte[] r = new byte[palette.length];
        byte[] g = new byte[palette.length];
        byte[] b = new byte[palette.length];
        Map<Integer, Integer> index = new HashMap<>();
        for (int i = 0; i < palette.length; i++) {
            r[i] = (byte) (palette[i] >> 16);
            g[i] = (byte) (palette[i] >> 8);
            b[i] = (byte) palette[i];
            index.put(palette[i], i);
        }
        IndexColorModel cm = new IndexColorModel(8, palette.length, r, g, b);
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, cm);
        byte[] data = ((java.awt.image.DataBufferByte) out.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < px.length; i++) {
            int c = px[i] & 0xffffff;
            Integer k = index.get(c);
            if (k == null) {
                k = nearest(palette, c);
                index.put(c, k);
            }
            data[i] = (byte) (int) k;
        }
        return out;
    }

    private static int nearest(int[] palette, int c) {
        int best = 0;
        long bestD = Long.MAX_VALUE;
        for (int i = 0; i < palette.length; i++) {
            int dr = ((palette[i] >> 16) & 0xff) - ((c >> 16) & 0xff);
            int dg = ((palette[i] >> 8) & 0xff) - ((c >> 8) & 0xff);
            int db = (palette[i] & 0xff) - (c & 0xff);
            long d = 3L * dr * dr + 4L * dg * dg + 2L * db * db;
            if (d < bestD) {
                bestD = d;
                best = i;
            }
        }
        return best;
    }
}
