import NIOCore
import ORDPAnalytics
import ORDPCatalogue
import ORDPCatalogueAPI
import ORDPRPC
import Synchronization

/// A CKAN import over a partitioned catalogue: each document goes to the partition of its
/// town (the request's publisher, else the CKAN organisation — `CKANMapper.town`, the
/// catalogue's own rule) over one import stream per partition, opened when a document first
/// needs it; each partition's results are passed on as it commits them, their indices turned
/// back into the caller's. Results of one partition come in the order sent, those of
/// different partitions as they commit. A document whose town no partition holds is rejected
/// here; one that names no town goes to the first partition, which rejects it with its
/// reason. At most `queued` documents wait between the caller and the partitions (then the
/// caller's stream waits). A partition that fails ends the call (what it acknowledged is
/// committed; sending every document again is safe — re-imports are idempotent by CKAN id).
enum ImportScatter {
  static let queued = 16

  fileprivate struct State {
    var open: [Int: AsyncStream<ByteBuffer>.Continuation] = [:]
    /// Per partition, the caller's index of each document sent to it, in its order.
    var indices: [Int: [UInt32]] = [:]
  }

  /// One call's state, shared by its tasks.
  fileprivate final class Shared: Sendable {
    let state = Mutex(State())
    func withLock<T, E: Error>(_ body: (inout State) throws(E) -> T) throws(E) -> T {
      try state.withLock { (s: inout State) throws(E) -> T in try body(&s) }
    }
  }

  static func run(
    requests: RPCRawMessages, responses: RPCRawWriter, pool: BackendPool, options: CallOptions
  ) async throws {
    let method = Ordp_Catalogue_V1_Catalogue.Method.importCkan
    let state = Shared()
    let permits = AsyncSemaphore(permits: queued)
    // One writer to the caller at a time.
    let writing = AsyncSemaphore(permits: 1)
    @Sendable func answer(_ response: Ordp_Catalogue_V1_ImportCkanResponse) async throws {
      guard await writing.acquire() else { throw CancellationError() }
      defer { writing.release() }
      try await responses.write(ByteBuffer(bytes: try response.serializedBytes() as [UInt8]))
    }
    let (commands, commandsIn) = AsyncStream<(Int, AsyncStream<ByteBuffer>)>.makeStream()
    try await withThrowingTaskGroup(of: Void.self) { group in
      defer {
        permits.close()
        writing.close()
      }
      // Reads the caller's documents and passes each on to its partition.
      group.addTask {
        defer {
          for continuation in state.withLock({ Array($0.open.values) }) { continuation.finish() }
          commandsIn.finish()
        }
        var index: UInt32 = 0
        for try await message in requests {
          guard index < CatalogueService.maximumImportDocuments else {
            throw RPCError(
              .resourceExhausted,
              "at most \(CatalogueService.maximumImportDocuments) documents per ImportCkan call; send the rest in another"
            )
          }
          defer { index += 1 }
          let request: Ordp_Catalogue_V1_ImportCkanRequest
          do {
            request = try Ordp_Catalogue_V1_ImportCkanRequest(
              serializedBytes: Array(message.readableBytesView))
          } catch { throw RPCError(.invalidArgument, "request: not a valid ImportCkanRequest") }
          let town = CKANMapper.town(json: request.ckanJson, publisher: request.publisher)
          let partition: Int
          if let town {
            guard let p = pool.partition(ofTown: town) else {
              var result = Ordp_Catalogue_V1_ImportResult()
              result.index = index
              result.outcome = .rejected
              result.reason =
                "no partition holds town \"\(town.prefix(64))\" (the topology names it nowhere and has no default partition)"
              try await answer(.with { $0.results = [result] })
              continue
            }
            partition = p
          } else {
            partition = 0
          }
          let granted = await withTaskCancellationHandler {
            await permits.acquire()
          } onCancel: {
            permits.close()
          }
          guard granted else { throw CancellationError() }
          let continuation = state.withLock { s -> AsyncStream<ByteBuffer>.Continuation in
            s.indices[partition, default: []].append(index)
            if let c = s.open[partition] { return c }
            let (stream, c) = AsyncStream<ByteBuffer>.makeStream()
            s.open[partition] = c
            commandsIn.yield((partition, stream))
            return c
          }
          continuation.yield(message)
        }
      }
      for await (partition, outgoing) in commands {
        let partitions = pool.partitions
        let name = partitions.indices.contains(partition) ? partitions[partition].name : ""
        group.addTask {
          do {
            try await pool.call(partition: partition, idempotent: false) { channel, attempt in
              attempt.committed()
              try await channel.streamingRaw(
                method, options: options,
                requests: { writer in
                  for await document in outgoing {
                    try await writer.write(document)
                    permits.release()
                  }
                }
              ) { stream in
                for try await bytes in stream {
                  var response = try AnalyticsScatter.decode(
                    Ordp_Catalogue_V1_ImportCkanResponse.self, bytes)
                  try state.withLock { s in
                    let sent = s.indices[partition] ?? []
                    for i in response.results.indices {
                      let local = Int(response.results[i].index)
                      guard sent.indices.contains(local) else {
                        throw RPCError(
                          .internal, "a partition answered for a document it was not sent")
                      }
                      response.results[i].index = sent[local]
                    }
                  }
                  try await answer(response)
                }
              }
            }
          } catch let error as RPCError where PartitionFanout.isPartitionFailure(error.code) {
            throw RPCError(
              .unavailable,
              "catalogue partition \(name) failed during the import: \(error.message); what it answered is committed, and sending every document again is safe"
            )
          }
        }
      }
      try await group.waitForAll()
    }
  }
}
