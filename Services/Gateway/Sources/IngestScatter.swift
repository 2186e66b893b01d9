import NIOCore
import ORDPAnalytics
import ORDPAnalyticsAPI
import ORDPRPC
import SwiftProtobuf
import Synchronization

/// Where datastreams live: stream id → owning town, learned by asking every partition
/// (`GetDatastream`, with the caller's token) the first time a stream is written through the
/// gateway — ids never move, towns may (a reloaded topology: the town's partition is looked up
/// afresh each time). At most 100,000 entries (then it starts over).
public final class StreamOwners: Sendable {
  private let owners = Mutex<[String: String]>([:])
  public init() {}

  func owner(_ id: String) -> String? { owners.withLock { $0[id] } }

  func remember(_ id: String, owner: String) {
    owners.withLock { o in
      if o.count >= 100_000 { o.removeAll() }
      o[id] = owner
    }
  }
}

/// An ingest call over partitioned analytics: each client batch is split by the partition of
/// its streams' towns (`IngestSplit`), each share passed on over one ingest stream per partition
/// (opened when a batch first needs it), and the client gets one acknowledgement per batch
/// once every share is durable — counts added, rejections pointing at its own series. At most
/// 8 batches are in flight per call. A partition that fails ends the call (the client sends
/// the unacknowledged batches again: a replay changes nothing).
enum IngestScatter {
  typealias A = Ordp_Analytics_V1_Analytics.Method
  static let batchesInFlight = 8

  private struct Pending {
    var clientID: UInt64
    var expected: Int
    var acks: [(ack: Ordp_Analytics_V1_IngestAck, origins: [Int])] = []
    var origins: [Int: [Int]]
  }

  private struct State {
    var open: [Int: AsyncStream<ByteBuffer>.Continuation] = [:]
    var running = 0
    var readerDone = false
    var pending: [UInt64: Pending] = [:]
    var next: UInt64 = 1
  }

  /// One call's state, shared by its tasks.
  private final class Shared: Sendable {
    let state = Mutex(State())
    func withLock<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }
  }

  static func run(
    requests: RPCRawMessages, responses: RPCRawWriter, pool: BackendPool,
    owners: StreamOwners, options: CallOptions, partitionTimeout: Duration
  ) async throws {
    let state = Shared()
    let permits = AsyncSemaphore(permits: batchesInFlight)
    let (commands, commandsIn) = AsyncStream<(Int, AsyncStream<ByteBuffer>)>.makeStream()
    let (acks, acksIn) = AsyncStream<(Int, ByteBuffer)>.makeStream()
    @Sendable func partitionEnded() {
      let finish = state.withLock { s in
        s.running -= 1
        return s.readerDone && s.running == 0
      }
      if finish { acksIn.finish() }
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
      // Reads the client's batches and passes their shares on.
      group.addTask {
        defer {
          let (open, finish) = state.withLock { s in
            s.readerDone = true
            return (Array(s.open.values), s.running == 0)
          }
          for continuation in open { continuation.finish() }
          commandsIn.finish()
          if finish { acksIn.finish() }
        }
        for try await message in requests {
          let granted = await withTaskCancellationHandler {
            await permits.acquire()
          } onCancel: {
            permits.close()
          }
          guard granted else { throw CancellationError() }
          let batch: Ordp_Analytics_V1_IngestBatch
          do {
            batch = try Ordp_Analytics_V1_IngestBatch(
              serializedBytes: Array(message.readableBytesView))
          } catch { throw RPCError(.invalidArgument, "request: not a valid IngestBatch") }
          let partitions = try await partitionsOfSeries(
            batch, pool: pool, owners: owners, options: options, timeout: partitionTimeout)
          let id = state.withLock { s in
            defer { s.next += 1 }
            return s.next
          }
          let parts = IngestSplit.split(batch, batchID: id) { partitions[$0] }
          var pending = Pending(clientID: batch.batchID, expected: parts.count, origins: [:])
          for part in parts { pending.origins[part.partition] = part.origins }
          if parts.isEmpty {
            // An empty batch: acknowledged at once, as analytics does.
            permits.release()
            try await responses.write(
              ByteBuffer(
                bytes: try IngestSplit.merge(clientID: batch.batchID, []).serializedBytes()
                  as [UInt8]))
            continue
          }
          state.withLock { $0.pending[id] = pending }
          for part in parts {
            let bytes = ByteBuffer(bytes: try part.batch.serializedBytes() as [UInt8])
            let continuation = state.withLock { s -> AsyncStream<ByteBuffer>.Continuation in
              if let c = s.open[part.partition] { return c }
              let (stream, c) = AsyncStream<ByteBuffer>.makeStream()
              s.open[part.partition] = c
              s.running += 1
              commandsIn.yield((part.partition, stream))
              return c
            }
            continuation.yield(bytes)
          }
        }
      }
      // Writes the client's acknowledgements as their batches complete.
      group.addTask {
        for await (partition, bytes) in acks {
          let ack: Ordp_Analytics_V1_IngestAck
          do {
            ack = try Ordp_Analytics_V1_IngestAck(serializedBytes: Array(bytes.readableBytesView))
          } catch { throw RPCError(.internal, "a partition answered what is not an IngestAck") }
          let complete = state.withLock { s -> Ordp_Analytics_V1_IngestAck? in
            guard var p = s.pending[ack.batchID] else { return nil }
            p.acks.append((ack, p.origins[partition] ?? []))
            guard p.acks.count == p.expected else {
              s.pending[ack.batchID] = p
              return nil
            }
            s.pending.removeValue(forKey: ack.batchID)
            return IngestSplit.merge(clientID: p.clientID, p.acks)
          }
          guard let complete else { continue }
          permits.release()
          try await responses.write(ByteBuffer(bytes: try complete.serializedBytes() as [UInt8]))
        }
        let left = state.withLock { $0.pending.count }
        if left > 0 {
          throw RPCError(.unavailable, "a partition ended without acknowledging \(left) batch(es)")
        }
      }
      for await (partition, outgoing) in commands {
        group.addTask {
          defer { partitionEnded() }
          try await pool.call(partition: partition, idempotent: false) { channel, attempt in
            attempt.committed()
            try await channel.streamingRaw(
              A.ingest, options: options,
              requests: { writer in
                for await batch in outgoing { try await writer.write(batch) }
              }
            ) { stream in
              for try await ack in stream { acksIn.yield((partition, ack)) }
            }
          }
        }
      }
      try await group.waitForAll()
    }
  }

  /// Streams of one batch looked up at most (each lookup asks every partition): a batch of
  /// made-up ids costs the partitions no more than this.
  static let lookupsPerBatch = 64

  /// The partition of each series of `batch`: its stream's town's (asked of every partition
  /// the first time, for at most `lookupsPerBatch` new streams a batch); a stream no partition
  /// knows — or not looked up — goes to the first, which rejects it as the service does
  /// (UNKNOWN_STREAM); sent again, it is looked up then.
  static func partitionsOfSeries(
    _ batch: Ordp_Analytics_V1_IngestBatch, pool: BackendPool, owners: StreamOwners,
    options: CallOptions, timeout: Duration
  ) async throws -> [Int] {
    var unknown: [String] = []
    var seen: Set<String> = []
    for series in batch.series where owners.owner(series.datastreamID) == nil {
      guard unknown.count < lookupsPerBatch else { break }
      if seen.insert(series.datastreamID).inserted { unknown.append(series.datastreamID) }
    }
    // Looked up 16 at a time.
    var start = 0
    while start < unknown.count {
      let chunk = unknown[start..<min(start + 16, unknown.count)]
      start += chunk.count
      try await withThrowingTaskGroup(of: Void.self) { group in
        for id in chunk where id.utf8.count <= 200 {
          group.addTask {
            var get = Ordp_Analytics_V1_GetDatastreamRequest()
            get.id = id
            let request = ByteBuffer(bytes: try get.serializedBytes() as [UInt8])
            let parts = await PartitionFanout.spread(
              pool, idempotent: true, timeout: timeout, options: options
            ) { _, channel, options in
              try await channel.unaryRaw(A.getDatastream, request: request, options: options)
            }
            guard let found = try? PartitionFanout.found(parts),
              let stream = try? Ordp_Analytics_V1_Datastream(
                serializedBytes: Array(found.readableBytesView))
            else { return }
            owners.remember(id, owner: stream.owner)
          }
        }
        try await group.waitForAll()
      }
    }
    return batch.series.map { series in
      owners.owner(series.datastreamID).flatMap { pool.partition(ofTown: $0) } ?? 0
    }
  }
}
