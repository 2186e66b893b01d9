public import ORDPAnalyticsAPI
import ORDPAuth
public import ORDPRPC

extension AnalyticsService {
  /// Rows per response page.
  static let aggregatePageRows = 10_000
  /// Cells (streams × buckets) one query may compute; a caller without a token gets less (a
  /// year of days for 50 streams, a day of minutes for 13): public dashboards ask for that
  /// much, and anonymous work is what an attacker gets for free.
  static let maximumCells = 250_000
  static let maximumAnonymousCells = 20_000
  /// Memory one query's states may take (buckets, states and quantile sketches), checked as
  /// they fill: sketches of widely spread values are what makes cells big.
  static let maximumAnswerBytes = 64 << 20
  /// Streams filled from the store at a time (bounds memory for many streams).
  static let fillChunk = 32
  /// The functions that need a quantile sketch.
  static let quantileFunctions: Set<Ordp_Analytics_V1_AggregateFunction> = [
    .p50, .p90, .p95, .p99,
  ]

  public func aggregate(
    request: Ordp_Analytics_V1_AggregateRequest,
    responses: RPCResponseWriter<Ordp_Analytics_V1_AggregateResponse>, context: ServerContext
  ) async throws {
    let width = try Self.checkAggregate(request)
    let streams = try StreamSelection.resolve(
      request.streams, directory: directory, principal: context.principal)
    var page = Ordp_Analytics_V1_AggregateResponse()
    page.relativeAccuracy = 0.01
    // Nothing selected: nothing to plan, read or hold.
    guard !streams.isEmpty else { return try await responses.write(page) }
    let cells = context.principal == nil ? Self.maximumAnonymousCells : Self.maximumCells
    let bound = AggregatePlan.bucketCountBound(
      from: request.fromMicros, to: request.toMicros, width: width)
    guard bound <= cells / streams.count else {
      throw RPCError(
        .resourceExhausted,
        "too many cells: \(streams.count) streams × about \(bound) buckets exceeds \(cells)\(context.principal == nil ? " (without a token)" : ""); narrow the range or the selection, or widen the bucket"
      )
    }
    try await aggregates.run(caller: context.principal?.subject, "aggregate") {
      try await aggregate(
        request, width: width, streams: streams, cells: cells, page: page, responses)
    }
  }

  private func aggregate(
    _ request: Ordp_Analytics_V1_AggregateRequest, width: BucketWidth?, streams: [StreamRecord],
    cells: Int, page first: Ordp_Analytics_V1_AggregateResponse,
    _ responses: RPCResponseWriter<Ordp_Analytics_V1_AggregateResponse>
  ) async throws {
    let quantiles =
      request.partial || request.functions.contains { Self.quantileFunctions.contains($0) }
    let template: AggregatePlan
    do {
      template = try AggregatePlan(
        from: request.fromMicros, to: request.toMicros, width: width,
        maximumBuckets: cells / streams.count, quantiles: quantiles)
    } catch .tooManyBuckets(let limit) {
      throw RPCError(
        .resourceExhausted,
        "too many buckets: \(streams.count) streams × more than \(limit) buckets exceeds \(cells) cells; narrow the range or widen the bucket"
      )
    }
    var page = first
    var pagesWritten = 0
    func emit(_ group: String, _ plan: AggregatePlan) async throws {
      for (bucket, state) in zip(plan.buckets, plan.states) where state.count > 0 {
        var row = Ordp_Analytics_V1_AggregateRow()
        row.group = group
        row.bucketStartMicros = bucket.start
        row.bucketEndMicros = bucket.end
        row.values = request.functions.map { state.value(of: $0) }
        if request.partial { row.partial = state.partial }
        page.rows.append(row)
        // Thousands of rows are a few milliseconds of work: let other calls' tasks in between.
        if page.rows.count % 1000 == 0 { await Task.yield() }
        if page.rows.count == Self.aggregatePageRows {
          try await responses.write(page)
          pagesWritten += 1
          page.rows.removeAll(keepingCapacity: true)
        }
      }
    }
    var groups: [String: AggregatePlan] = [:]
    var start = 0
    while start < streams.count {
      try Task.checkCancellation()
      let chunk = streams[start..<min(start + Self.fillChunk, streams.count)]
      start += chunk.count
      let filled = try await store.fill(chunk.map { ($0.key, template) })
      let held =
        filled.reduce(0) { $0 + $1.approximateBytes }
        + groups.values.reduce(0) { $0 + $1.approximateBytes }
      guard held <= Self.maximumAnswerBytes else {
        throw RPCError(
          .resourceExhausted,
          "the answer needs more than \(Self.maximumAnswerBytes >> 20) MiB (quantile sketches of widely spread values); narrow the range or the selection, widen the bucket, or leave out quantiles"
        )
      }
      for (record, plan) in zip(chunk, filled) {
        switch request.groupBy {
        case .stream: try await emit(record.datastream.id, plan)
        case .town: groups[record.datastream.owner, default: template].merge(plan)
        case .observedProperty:
          groups[record.datastream.observedProperty, default: template].merge(plan)
        case .UNRECOGNIZED: break
        }
      }
    }
    for group in groups.keys.sorted() { try await emit(group, groups[group]!) }
    if !page.rows.isEmpty || pagesWritten == 0 { try await responses.write(page) }
  }

  static func checkAggregate(
    _ request: Ordp_Analytics_V1_AggregateRequest
  ) throws(RPCError)
    -> BucketWidth?
  {
    if request.functions.isEmpty {
      throw RPCError(.invalidArgument, "functions: name at least one (e.g. AVG)")
    }
    if request.functions.count > 64 {
      throw RPCError(.invalidArgument, "functions: at most 64")
    }
    for (index, function) in request.functions.enumerated() {
      switch function {
      case .unspecified, .UNRECOGNIZED:
        throw RPCError(.invalidArgument, "functions[\(index)]: unknown aggregate function")
      default: break
      }
    }
    if case .UNRECOGNIZED(let value) = request.groupBy {
      throw RPCError(.invalidArgument, "group_by: unknown value \(value)")
    }
    guard request.fromMicros < request.toMicros else {
      throw RPCError(.invalidArgument, "to_micros: must be after from_micros")
    }
    let century: Int64 = 100 * 366 * 86_400_000_000
    guard request.fromMicros > -century, request.toMicros < 2 * century else {
      throw RPCError(.invalidArgument, "from_micros/to_micros: outside 1870…2170")
    }
    let bucket = request.bucket
    if bucket.fixedSeconds != 0 && bucket.calendar != .none {
      throw RPCError(.invalidArgument, "bucket: either fixed_seconds or calendar, not both")
    }
    if bucket.fixedSeconds != 0 {
      guard BucketWidth.fixedRange.contains(bucket.fixedSeconds), bucket.fixedSeconds % 60 == 0
      else {
        throw RPCError(
          .invalidArgument,
          "bucket.fixed_seconds: whole minutes from 60 to \(BucketWidth.fixedRange.upperBound) (31 days); use calendar for months and years"
        )
      }
      return .fixed(seconds: bucket.fixedSeconds)
    }
    switch bucket.calendar {
    case .none: return nil
    case .day: return .day
    case .week: return .week
    case .month: return .month
    case .year: return .year
    case .UNRECOGNIZED(let value):
      throw RPCError(.invalidArgument, "bucket.calendar: unknown value \(value)")
    }
  }
}

extension AggregatePlan {
  /// Adds another plan's states bucket by bucket (plans over the same range and width).
  mutating func merge(_ other: AggregatePlan) {
    for index in other.states.indices where other.states[index].count > 0 {
      mergeState(other.states[index], at: index)
    }
  }
}
