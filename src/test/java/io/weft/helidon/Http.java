package io.weft.helidon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Test helpers: an HttpClient over loopback, and raw requests for what HttpClient will not send. */
final class Http {
    private Http() {}

    static final HttpClient CLIENT = client();

    /** Helidon logs every start and stop at INFO; keep test output to what matters. Held: JUL keeps loggers weakly. */
    static final java.util.logging.Logger HELIDON_LOG = java.util.logging.Logger.getLogger("io.helidon");

    static {
        HELIDON_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    }

    static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return get(CLIENT, port, path);
    }

    static HttpResponse<String> get(HttpClient client, int port, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(20)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Sends {@code request} as is on a fresh connection and returns everything the server writes
     * before it closes the connection or {@code wait} passes.
     */
    static String raw(int port, String request, Duration wait) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout((int) wait.toMillis());
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    if (complete(out.toString(StandardCharsets.ISO_8859_1))) {
                        break;
                    }
                }
            } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
                // what arrived so far is the answer
            }
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** {@return true once {@code raw} holds a whole response with a Content-Length body} */
    private static boolean complete(String raw) {
        int end = raw.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        for (String line : raw.substring(0, end).split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                return raw.length() - end - 4 >= Integer.parseInt(line.substring(15).trim());
            }
        }
        return false;
    }

    /** {@return the status code of the first response in {@code raw}, or -1 if there is none} */
    static int status(String raw) {
        if (!raw.startsWith("HTTP/1.")) {
            return -1;
        }
        return Integer.parseInt(raw.substring(9, 12));
    }
}
