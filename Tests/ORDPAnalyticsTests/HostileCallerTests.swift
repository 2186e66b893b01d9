import Foundation
import ORDPAnalytics
import ORDPAnalyticsAPI
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// Analytics against callers who ask for unbounded work, read what they may not, replay
/// expired data or keep streaming after their right is gone — through the real executables.
@Suite struct AnalyticsHostileCallerTests {
  static let minute: Int64 = 60_000_000
  static let day: Int64 = 1440 * minute

  @Test func anEmptySelectionIsAnsweredAtOnceWhateverItsRange() async throws {
    let platform = try await AnalyticsPlatform()
    defer { platform.stop() }
    _ = try await platform.create("Zählstelle")
    // Two years of minute buckets over a selection that matches nothing: nothing to plan.
    let rows = try await platform.aggregate(
      .with {
        $0.streams.owners = ["nowhere"]
        $0.fromMicros = 1_700_000_000_000_000
        $0.toMicros = 1_700_000_000_000_000 + 2 * 366 * Self.day
        $0.bucket.fixedSeconds = 60
        $0.functions = [.count, .p99]
      }, as: nil)
    #expect(rows.isEmpty)
  }

  @Test func aKeyForIngestOnlyCannotReadItsTownsRestrictedData() async throws {
    let platform = try await AnalyticsPlatform()
    defer { platform.stop() }
    let stream = try await platform.create("Wasserzähler", access: .restricted)
    let now = thisMinute()
    let acks = try await platform.ingest(
      [batch(1, [series(stream.id, [now - Self.minute, now], [1, 2])])], as: "soest.sensors")
    #expect(acks.first?.accepted == 2)
    let query: Ordp_Analytics_V1_AggregateRequest = .with {
      $0.streams.datastreamIds = [stream.id]
      $0.fromMicros = now - Self.day
      $0.toMicros = now + Self.minute
      $0.functions = [.count]
    }
    // The dashboard key (analytics:query) reads; the sensor key (analytics:ingest) does not.
    #expect(try await platform.aggregate(query, as: "soest.dashboard").first?.values == [2])
    let aggregate = await statusOf { try await platform.aggregate(query, as: "soest.sensors") }
    #expect(aggregate?.code == .notFound)
    let raw = await statusOf {
      try await platform.read(.with { $0.streams.datastreamIds = [stream.id] }, as: "soest.sensors")
    }
    #expect(raw?.code == .notFound)
    let listed = try await platform.client.listDatastreams(
      .init(), options: platform.options("soest.sensors"))
    #expect(!listed.datastreams.contains { $0.id == stream.id })
  }

  @Test func replayingABatchAfterItsRawDataExpiredDoesNotCountTwice() async throws {
    let platform = try await AnalyticsPlatform(extraArguments: ["--retention-interval", "1"])
    defer { platform.stop() }
    var stream = try await platform.create("Pegel", property: "water_level")
    let hour = (thisMinute() - 3 * Self.day) / (60 * Self.minute) * (60 * Self.minute)
    let old = batch(1, [series(stream.id, (0..<60).map { hour + Int64($0) * Self.minute }, [1])])
    var times = old
    times.series[0].results = Array(repeating: 1, count: 60)
    #expect(try await platform.ingest([times], as: "soest.sensors").first?.accepted == 60)
    // Raw data lives one day, rollups ten: the hour's raw observations go, its rollup stays.
    stream.retention = .with {
      $0.rawDays = 1
      $0.rollupDays = 10
    }
    _ = try await platform.client.updateDatastream(
      .with { $0.datastream = stream }, options: platform.options("soest.editor"))
    func rawLeft() async throws -> Int {
      try await platform.read(
        .with {
          $0.streams.datastreamIds = [stream.id]
          $0.fromMicros = hour
          $0.toMicros = hour + 60 * Self.minute
        }, as: nil
      ).reduce(0) { $0 + $1.series.reduce(0) { $0 + $1.timesMicros.count } }
    }
    var waited = 0
    while try await rawLeft() > 0, waited < 100 {
      try await Task.sleep(for: .milliseconds(100))
      waited += 1
    }
    #expect(try await rawLeft() == 0)
    // The sensor gateway resends the batch (it never got the acknowledgement, say).
    let replay = try #require(try await platform.ingest([times], as: "soest.sensors").first)
    #expect(replay.accepted == 0 && replay.rejected == 60)
    #expect(replay.rejections.first?.reason == .expired)
    let count = try await platform.aggregate(
      .with {
        $0.streams.datastreamIds = [stream.id]
        $0.fromMicros = hour
        $0.toMicros = hour + 60 * Self.minute
        $0.functions = [.count]
      }, as: nil)
    #expect(count.first?.values == [60])
  }

  @Test func anIngestStreamEndsOnceItsKeyIsRevoked() async throws {
    let platform = try await AnalyticsPlatform()
    defer { platform.stop() }
    let stream = try await platform.create("Stromzähler", property: "energy")
    let users = Ordp_Identity_V1_Identity_Client(channel: platform.identityChannel)
    let root = bearer(platform.tokens["root"]!)
    let (key, token) = try await users.serviceKey(
      "meter-gateway", in: "soest", scopes: ["analytics:ingest"],
      admin: platform.tokens["root"]!)
    let start = thisMinute() - Self.day
    let ended = await statusOf {
      try await platform.client.ingest(
        options: CallOptions(
          timeout: .seconds(60), metadata: Metadata(["authorization": "Bearer \(token)"])),
        requests: { writer in
          for index in 0..<600 {
            try await writer.write(
              batch(UInt64(index), [series(stream.id, [start + Int64(index) * Self.minute], [1])]))
            if index == 5 {
              _ = try await users.revokeApiKey(.with { $0.id = key.key.id }, options: root)
            }
            try await Task.sleep(for: .milliseconds(50))
          }
        },
        onResponse: { acks in for try await _ in acks {} })
    }
    // Analytics' verifier syncs revocations every 5 s; the stream checks per batch.
    #expect(ended?.code == .unauthenticated, "\(String(describing: ended))")
  }

  @Test func aFieldInManyPackedChunksIsRefusedBeforeItIsDecoded() async throws {
    let platform = try await AnalyticsPlatform()
    defer { platform.stop() }
    let stream = try await platform.create("Pegel", property: "water_level")
    let now = thisMinute()
    _ = try await platform.ingest(
      [batch(1, [series(stream.id, [now - 2 * Self.minute, now - Self.minute], [3, 4])])],
      as: "soest.sensors")
    let query: Ordp_Analytics_V1_AggregateRequest = .with {
      $0.streams.datastreamIds = [stream.id]
      $0.fromMicros = now - Self.day
      $0.toMicros = now
    }
    /// The query with `functions` (field 5) as `chunks` packed chunks of one COUNT each.
    func chunked(_ chunks: Int) throws -> RawMessage {
      var bytes: [UInt8] = try query.serializedBytes()
      for _ in 0..<chunks { bytes += [5 << 3 | 2, 1, 1] }
      return RawMessage(bytes)
    }
    /// The status of an aggregate call with `request`, and the rows it answered.
    func call(_ request: RawMessage) async -> (RPCError?, Int) {
      var rows = 0
      let status = await statusOf {
        try await platform.channel.serverStreaming(
          Ordp_Analytics_V1_Analytics.Method.aggregate, request: request,
          options: CallOptions(timeout: .seconds(30))
        ) { (pages: RPCResponseStream<Ordp_Analytics_V1_AggregateResponse>) in
          for try await page in pages { rows += page.rows.count }
        }
      }
      return (status, rows)
    }
    // 100,000 chunks (300 KB, within the method's limit). Decoding costs time quadratic in the
    // chunks: a 1 MiB request of 4-function chunks held a core for 20 s (debug build); its
    // functions as one chunk decode in 0.2 s.
    let (refused, _) = await call(try chunked(100_000))
    #expect(refused?.code == .invalidArgument, "\(String(describing: refused))")
    #expect(refused?.message.contains("field 5") == true)
    // A few chunks are still read as the one field they are: the same answer as one chunk.
    let (fewStatus, fewRows) = await call(try chunked(PackedFieldShape.maximumChunks))
    #expect(fewStatus == nil)
    var once = query
    once.functions = Array(repeating: .count, count: PackedFieldShape.maximumChunks)
    #expect(fewRows > 0)
    #expect(fewRows == (try await platform.aggregate(once, as: nil)).count)
  }
}

/// Sketches and partial states that hostile data or a hostile peer could inflate or break.
@Suite struct BoundedStateTests {
  @Test func plantedExtremeValuesCannotInflateASketch() throws {
    var sketch = QuantileSketch(relativeAccuracy: 0.01)
    for value in [1e-8, 1e300, 1e-5, 1e200, 3e250] { sketch.add(value) }
    for index in 0..<10_000 { sketch.add(Double(100 + index % 50)) }
    #expect(sketch.positiveStore.counts.count <= BucketStore.maximumBuckets)
    #expect(sketch.count == 10_005)
    // The bulk of the data keeps its accuracy: the median and the 99th percentile are among
    // the 100…149 values; only the planted outliers at the top collapse together.
    let p50 = try #require(sketch.quantile(0.5))
    #expect(abs(p50 - 124) / 124 < 0.03)
    let p99 = try #require(sketch.quantile(0.99))
    #expect(abs(p99 - 149) / 149 < 0.03)
    #expect(try #require(sketch.quantile(0)) < 1e-7)
    // Merging two such sketches stays bounded too.
    var other = QuantileSketch(relativeAccuracy: 0.01)
    other.add(1e-9 * 2)
    other.add(-1e300)
    other.add(-1e-8)
    sketch.merge(other)
    #expect(sketch.positiveStore.counts.count <= BucketStore.maximumBuckets)
    #expect(sketch.negativeStore.counts.count <= BucketStore.maximumBuckets)
    #expect(sketch.count == 10_008)
  }

  @Test func hostilePartialStatesAreRefusedOrBoundedNeverACrash() throws {
    var wide = Ordp_Analytics_V1_PartialState()
    wide.count = 2
    wide.sketch.relativeAccuracy = 0.01
    wide.sketch.positiveIndexes = [Int32.min, Int32.max]
    wide.sketch.positiveCounts = [1, 1]
    let state = try AggregateState(partial: wide)
    #expect(state.sketch.positiveStore.counts.count <= BucketStore.maximumBuckets)

    var overflowing = wide
    overflowing.sketch.positiveIndexes = [1, 2]
    overflowing.sketch.positiveCounts = [UInt64.max, 5]
    #expect(throws: AggregateState.InvalidPartial.self) {
      try AggregateState(partial: overflowing)
    }
    var otherAccuracy = wide
    otherAccuracy.sketch.relativeAccuracy = 0.02
    #expect(throws: AggregateState.InvalidPartial.self) {
      try AggregateState(partial: otherAccuracy)
    }
  }
}
