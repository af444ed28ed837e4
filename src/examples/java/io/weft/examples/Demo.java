package io.weft.examples;

import java.util.Arrays;

/**
 * {@code scripts/demo [example] [options]}: runs one of Weft's examples; with no example (or only
 * options), the HTTP hello world.
 */
public final class Demo {
    private Demo() {}

    /**
     * Entry point.
     *
     * @param args the example's name, then its options
     * @throws Exception whatever the example throws
     */
    public static void main(String[] args) throws Exception {
        String which = args.length == 0 || args[0].startsWith("-") ? "hello" : args[0];
        String[] rest = args.length == 0 || args[0].startsWith("-") ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (which) {
            case "hello" -> io.weft.examples.http.HelloWorld.main(rest);
            case "tasks" -> TasksDemo.main(rest);
            case "echo" -> io.weft.examples.net.EchoServer.main(rest);
            case "chat" -> io.weft.examples.net.ChatServer.main(rest);
            case "proxy" -> io.weft.examples.net.ProxyServer.main(rest);
            case "echo-bench" -> io.weft.examples.net.EchoBench.main(rest);
            case "http-bench" -> io.weft.examples.http.HttpBench.main(rest);
            case "loadgen" -> io.weft.examples.http.LoadGen.main(rest);
            case "news" -> io.weft.examples.http.NewsDemo.main(rest);
            case "help", "--help", "-h" -> usage();
            default -> {
                System.err.println("unknown example: " + which);
                usage();
                System.exit(2);
            }
        }
    }

    private static void usage() {
        System.out.println("""
            usage: scripts/demo [example] [options]
              [hello] [--port N] [--workers N]  "Hello, World!" over HTTP: Helidon on Weft, port 3000 (the default example)
              tasks [--tasks N] [--workers N]   spawn N tasks (default 1,000,000), park them all, wake them, report
              echo [--port 7000] [--idle-timeout S]
                                                a TCP echo server (try: nc 127.0.0.1 7000)
              chat [--port 7001] [--max-line N] [--capacity N]
                                                a line-based chat room (nc 127.0.0.1 7001 in a few terminals)
              proxy [--port 7002] [--upstream 127.0.0.1:7000]
                                                a TCP proxy (to the echo server by default)
              echo-bench [--rounds N] [--conns 64,1024] [--seconds S]
                                                TCP echo: Weft's reactor vs the JDK's poller vs Netty, same run
              http-bench [--connections 64,256] [--duration S] [--rounds N] [--servers weft,jdk,weft-poller1,jdk-poller1]
                                                hello world on Weft and on the JDK default scheduler, loaded side by side
              loadgen --port N [--connections N] [--duration S]   Weft's HTTP/1.1 load generator against any server
              news [--port N]                   handlers on Weft channels and timers: server-sent events, long-poll
            """);
    }
}
