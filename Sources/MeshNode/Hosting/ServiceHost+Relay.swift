import MeshCore
import MeshSaga

extension ServiceHost {
    /// Starts one relay loop per subscribing service instance as they appear (from membership and from the
    /// services this node hosts itself), and keeps them until the task is cancelled. Each event of a record goes
    /// to the owner of its key's partition in every subscribing service; a subscriber's loop, cursor and
    /// breaker are its own, so an absent owner only delays its own events.
    func superviseRelays(_ context: HostingContext) async {
        guard let log = core.withLock({ $0.log }) else { return }
        await withDiscardingTaskGroup { group in
            var started: Set<String> = []
            while !Task.isCancelled {
                // A service never relays to itself: its own events are applied when it decides them.
                for subscribing in context.subscribingServices() where subscribing.service != Domain.serviceName {
                    for index in 0..<subscribing.map.instances {
                        let target = subscribing.map.instanceName(index)
                        guard !started.contains(target) else { continue }
                        let subscriber = OutboxSubscriber(
                            name: target, eventTypes: subscribing.types,
                            method: OutboxMethods.deliver(to: subscribing.service),
                            select: { record in
                                HostedRecord.selection(of: record) { event in
                                    subscribing.types.contains(event.type)
                                        && subscribing.map.instanceIndex(of: subscribing.key(event)) == index
                                }
                            },
                            route: { context.route(to: target, of: subscribing.service) })
                        do {
                            let relay = try OutboxRelay(
                                log: log, transport: context.transport, subscribers: [subscriber],
                                configuration: OutboxConfiguration(
                                    origin: NodeName(instance), cursorDirectory: directory + "/cursors",
                                    batchSize: configuration.relayBatchSize, backoff: configuration.relayBackoff,
                                    breaker: configuration.relayBreaker, pollInterval: configuration.relayPollInterval,
                                    callTimeout: configuration.relayCallTimeout, fileSystem: configuration.fileSystem),
                                logger: logger)
                            started.insert(target)
                            core.withLock { $0.subscribers = started.sorted() }
                            logger.info(
                                "relaying to subscriber",
                                metadata: ["subscriber": "\(target)", "types": "\(subscribing.types.sorted())"])
                            group.addTask { await relay.run() }
                        } catch {
                            logger.error(
                                "cannot start a relay", metadata: ["subscriber": "\(target)", "error": "\(error)"])
                        }
                    }
                }
                core.withLock { $0.relayRunning = true }
                try? await Task.sleep(for: .nanoseconds(configuration.subscriberRefresh.nanoseconds))
            }
        }
    }
}
