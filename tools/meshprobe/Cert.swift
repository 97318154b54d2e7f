import ArgumentParser

extension MeshProbe {
    struct Cert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "How to get an operator certificate for meshprobe (with meshnode's ca/cert commands).")

        @Option(help: "The name to put in meshprobe's certificate.")
        var name: String = "meshprobe"

        @Option(help: "Directory holding the cluster's keys (ca.key, cluster.trust).")
        var keys: String = "keys"

        @OptionGroup var output: OutputOptions

        func run() throws {
            let steps = CertJSON(name: name, keys: keys)
            if output.json {
                printJSON(steps)
                return
            }
            print(
                """
                meshprobe calls the admin service (mesh.admin/*), which only a certificate with the
                'operator' role may call; a node refuses any other certificate (exit 3, refused).
                Without --trust/--cert/--key meshprobe uses the built-in development CA, which only
                development nodes (started without --trust/--cert/--key) accept.

                1. Once per cluster (skip if \(keys)/ca.key exists; keep ca.key offline):
                     \(steps.createCA)
                2. Issue meshprobe's key and certificate with the operator role:
                     \(steps.issue)
                3. Check it against the cluster's trust file:
                     \(steps.show)
                4. Use it:
                     \(steps.use)
                """)
        }
    }
}

/// `meshprobe cert --json`: the commands, ready to run.
struct CertJSON: Encodable {
    var createCA: String
    var issue: String
    var show: String
    var use: String

    init(name: String, keys: String) {
        createCA = "meshnode ca create --cluster CLUSTER --out \(keys)/"
        issue = "meshnode cert issue --ca \(keys)/ca.key --name \(name) --roles operator --days 30 --out \(keys)/"
        show = "meshnode cert show \(keys)/\(name).cert --trust \(keys)/cluster.trust"
        use =
            "meshprobe members HOST:PORT --probe-name \(name) --trust \(keys)/cluster.trust "
            + "--cert \(keys)/\(name).cert --key \(keys)/\(name).key"
    }
}
