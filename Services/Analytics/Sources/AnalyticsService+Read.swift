import Foundation
public import ORDPAnalyticsAPI
import ORDPAuth
public import ORDPRPC

extension AnalyticsService {
  public func latest(
    request: Ordp_Analytics_V1_LatestRequest, context: ServerContext
  )
    async throws -> Ordp_Analytics_V1_LatestResponse
  {
    let streams = try StreamSelection.resolve(
      request.streams, directory: directory, principal: context.principal)
    let latest = try await store.latest(streams: streams.map(\.key))
    var response = Ordp_Analytics_V1_LatestResponse()
    for record in streams {
      guard let observation = latest[record.key] else { continue }
      var value = Ordp_Analytics_V1_LatestValue()
      value.datastreamID = record.datastream.id
      value.timeMicros = observation.time
      value.result = observation.result
      value.quality = observation.quality
      response.values.append(value)
    }
    return response
  }

  /// Raw observations, ordered by stream id then time, in pages; every page's cursor resumes
  /// right after its last observation, the last page's cursor is empty.
  public func readObservations(
    request: Ordp_Analytics_V1_ReadObservationsRequest,
    responses: RPCResponseWriter<Ordp_Analytics_V1_ObservationPage>, context: ServerContext
  ) async throws {
    try await rawReads.run(caller: context.principal?.subject, "raw read") {
      try await readObservations(request, responses: responses, context: context)
    }
  }

  private func readObservations(
    _ request: Ordp_Analytics_V1_ReadObservationsRequest,
    responses: RPCResponseWriter<Ordp_Analytics_V1_ObservationPage>, context: ServerContext
  ) async throws {
    let pageSize = request.pageSize == 0 ? 10_000 : Int(request.pageSize)
    guard pageSize <= 100_000 else {
      throw RPCError(.invalidArgument, "page_size: at most 100,000")
    }
    let to = request.toMicros == 0 ? Int64.max : request.toMicros
    guard request.fromMicros < to else {
      throw RPCError(.invalidArgument, "to_micros: must be after from_micros (0: no end)")
    }
    let streams = try StreamSelection.resolve(
      request.streams, directory: directory, principal: context.principal)
    var resume = try ObservationCursor(request.cursor)
    var page = Ordp_Analytics_V1_ObservationPage()
    var inPage = 0
    for record in streams {
      let id = record.datastream.id
      if let cursor = resume {
        if id < cursor.stream { continue }
        if id > cursor.stream { resume = nil }
      }
      // Times after the cursor's (within this stream), within [from, to).
      var from = request.fromMicros
      if let cursor = resume, cursor.stream == id {
        if cursor.time == .max { continue }
        from = max(from, cursor.time + 1)
        resume = nil
      }
      while from < to {
        let columns = try await store.observations(
          stream: record.key, from: from, to: to, limit: pageSize - inPage)
        if columns.count > 0 {
          var series = Ordp_Analytics_V1_Series()
          series.datastreamID = id
          series.timesMicros = columns.times
          series.results = columns.results
          series.qualities = columns.qualities
          page.series.append(series)
          inPage += columns.count
        }
        guard inPage == pageSize, let last = columns.times.last else { break }
        page.cursor = ObservationCursor(stream: id, time: last).token
        try await responses.write(page)
        // A read of years of data runs long: the token is checked again per page.
        _ = try await context.recheckPrincipal()
        page = Ordp_Analytics_V1_ObservationPage()
        inPage = 0
        if last == .max { break }
        from = last + 1
      }
    }
    page.cursor = ""
    try await responses.write(page)
  }
}
