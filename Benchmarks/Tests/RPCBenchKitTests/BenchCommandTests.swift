import Testing

@testable import RPCBenchKit

@Suite struct BenchCommandTests {
    @Test func noArgumentsGiveTheDefaultMatrix() throws {
        let command = try BenchCommand.parse([])
        var expected = BenchOptions()
        expected.seconds = 3
        expected.warmUpSeconds = 0.5
        expected.payloadSizes = [64, 4096]
        expected.concurrencies = [1, 16, 64, 256]
        expected.targets = ["grpc", "nio", "nio-async", "mesh", "mesh-loop", "mesh-future"]
        #expect(command == .run(expected))
    }

    @Test func flagsOverrideTheMatrix() throws {
        let command = try BenchCommand.parse([
            "--seconds", "2", "--payloads", "128", "--concurrency", "1,8", "--targets", "grpc,nio", "--warmup", "0",
        ])
        guard case .run(let options) = command else {
            Issue.record("expected .run, got \(command)")
            return
        }
        #expect(options.seconds == 2)
        #expect(options.warmUpSeconds == 0)
        #expect(options.payloadSizes == [128])
        #expect(options.concurrencies == [1, 8])
        #expect(options.targets == ["grpc", "nio"])
        #expect(options.plan(payloadSize: 128, concurrency: 8).measureNanos == 2_000_000_000)
    }

    @Test func serveSubcommandsCarryTheirPort() throws {
        #expect(try BenchCommand.parse(["serve-grpc", "0"]) == .serve(target: "grpc", port: 0))
        #expect(try BenchCommand.parse(["serve-nio", "50151"]) == .serve(target: "nio", port: 50151))
        #expect(try BenchCommand.parse(["--help"]) == .help)
    }

    @Test(arguments: [
        ["--seconds"],
        ["--seconds", "0"],
        ["--seconds", "abc"],
        ["--payloads", "64,x"],
        ["--concurrency", "0"],
        ["--concurrency", ""],
        ["--targets", ","],
        ["--bogus", "1"],
        ["serve-nio"],
        ["serve-nio", "70000"],
    ])
    func malformedCommandLinesAreUsageErrors(_ arguments: [String]) {
        #expect {
            try BenchCommand.parse(arguments)
        } throws: { error in
            (error as? BenchError)?.code == .usage
        }
    }
}

@Suite struct HostInfoTests {
    @Test func readsCpusAllowedListFromStatus() {
        let status = "Name:\trpcbench\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t1\n"
        #expect(HostInfo.cpusAllowedList(fromStatus: status) == "0-1")
        #expect(HostInfo.cpusAllowedList(fromStatus: "Name:\tx\n") == nil)
    }

    @Test func countsCpuLists() {
        #expect(HostInfo.cpuCount(ofList: "0") == 1)
        #expect(HostInfo.cpuCount(ofList: "0-1") == 2)
        #expect(HostInfo.cpuCount(ofList: "0-3,6,8-9") == 7)
        #expect(HostInfo.cpuCount(ofList: "3-1") == nil)
        #expect(HostInfo.cpuCount(ofList: "a") == nil)
    }

    @Test func pinnedMeansFewerAllowedThanOnline() {
        #expect(HostInfo(onlineCores: 2, cpusAllowedList: "0").isPinned == true)
        #expect(HostInfo(onlineCores: 2, cpusAllowedList: "0-1").isPinned == false)
        #expect(HostInfo(onlineCores: 2, cpusAllowedList: nil).isPinned == nil)
        let summary = HostInfo(onlineCores: 2, cpusAllowedList: "0").summary
        #expect(summary == "cores online: 2; Cpus_allowed_list: 0 (pinned)")
    }

    @Test func serverAnnouncementNeedsACompleteLine() {
        #expect(ServerProcess.announcedPort(in: "LISTENING 4242\n") == 4242)
        #expect(ServerProcess.announcedPort(in: "noise\nLISTENING 80\nmore") == 80)
        #expect(ServerProcess.announcedPort(in: "LISTENING 42") == nil, "the line may still be arriving")
    }
}
