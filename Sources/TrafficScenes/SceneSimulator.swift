#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Moves the agents of a synthetic intersection frame by frame and records the ground truth.
///
/// Northbound vehicles follow the intelligent driver model (IDM) behind their leader and, when they
/// stop for the signal, behind the stop line; at amber an obeying driver stops if it can brake to
/// the line comfortably, a gambler goes on, and a runner ignores amber and red (but not the queue in
/// front of it). Truth crossings are when a vehicle's bottom edge (its rear) first reaches the stop line; a crossing
/// is a violation when the red had lasted the grace time then and the vehicle entered on red (its front reached the
/// line after the red came on): one that entered on amber, or on a turn arrow's green, is lawful however long it is.
public struct SceneSimulator {
    public let spec: SceneSpec
    private var random: SceneRandom
    private(set) var vehicles: [Vehicle] = []
    private(set) var pedestrians: [Pedestrian] = []
    private(set) var crossVehicles: [CrossVehicle] = []
    private(set) var cyclists: [Cyclist] = []
    /// (start time, state) of each phase, in order.
    private var schedule: [(start: Double, state: String)] = []
    /// The left lane's turn arrow in the lanes layout: red and green, no amber.
    private var arrowSchedule: [(start: Double, state: String)] = []
    private var lastArrowPhase: String?
    private var nextCyclist = 0.0
    private var cyclistCount = 0
    /// Exposure jumps: (time, relative step) of each.
    private var exposureSteps: [(start: Double, step: Double)] = []
    private var nextArrival: [Double]
    private var nextPedestrian = 0.0
    private var nextCross = 0.0
    private var vehicleCount = 0
    private var pedestrianCount = 0
    public private(set) var frame = 0
    public private(set) var truth: SceneTruth
    private var lastPhase: String?
    /// Light: a slow drift and a few passing clouds; camera shake as a bounded random walk.
    private var clouds: [(start: Double, depth: Double)] = []
    private var driftPhase: Double
    private var shake = (x: 0.0, y: 0.0)

    static let maxDeceleration = 180.0   // px/s², comfortable braking (IDM b)
    static let acceleration = 110.0      // px/s² (IDM a)
    /// IDM T (s) and s0 (px): 0.9 s and 12 px, or 0.35 s and 5 px when following closely.
    let headway: Double
    let jamGap: Double

    public init(spec: SceneSpec) {
        self.spec = spec
        random = SceneRandom(seed: spec.seed)
        truth = SceneTruth(seed: spec.seed, kind: spec.kind.rawValue, width: SceneLayout.width,
                           height: SceneLayout.height, fps: spec.fps, frames: spec.frameCount,
                           graceSeconds: spec.graceSeconds, vehicles: 0, pedestrians: 0, phases: [], crossings: [],
                           layout: spec.layout.rawValue, nuisances: spec.nuisances.featured,
                           arrowPhases: spec.layout == .lanes ? [] : nil, cyclists: spec.nuisances.cyclists ? 0 : nil,
                           camera: spec.camera)
        (headway, jamGap) = spec.nuisances.closeFollowing ? (0.35, 5) : (0.9, 12)
        nextArrival = []
        driftPhase = 0
        driftPhase = random.uniform(0...6.28)
        for _ in SceneLayout.lanes { nextArrival.append(random.uniform(0...3)) }
        buildSchedule()
        // Drawn after the main schedule so that the single layout's scenes stay as they were.
        if spec.layout == .lanes { buildArrowSchedule() }
        if spec.nuisances.exposureJumps {
            var t = random.uniform(3...8)
            while t < spec.seconds {
                let size = random.uniform(0.15...0.3)
                exposureSteps.append((t, random.chance(0.5) ? size : -size))
                t += random.uniform(6...14)
            }
        }
        if spec.nuisances.lightDrift {
            var t = random.uniform(5...20)
            while t < spec.seconds {
                clouds.append((t, random.uniform(0.12...0.3)))
                t += random.uniform(12...30)
            }
        }
    }

    private mutating func buildSchedule() {
        guard spec.kind != .allGreen else {
            schedule = [(0, "green")]
            return
        }
        let order = ["green", "amber", "red"]
        var index = Int(random.next() % 3)
        var t = -random.uniform(0...8)
        while t < spec.seconds + 1 {
            let state = order[index]
            schedule.append((t, state))
            t += state == "amber" ? 3 : random.uniform(13...22)
            index = (index + 1) % 3
        }
    }

    private mutating func buildArrowSchedule() {
        guard spec.kind != .allGreen else {
            arrowSchedule = [(0, "green")]
            return
        }
        var green = random.chance(0.5)
        var t = -random.uniform(0...6)
        while t < spec.seconds + 1 {
            arrowSchedule.append((t, green ? "green" : "red"))
            t += green ? random.uniform(7...12) : random.uniform(12...20)
            green.toggle()
        }
    }

    /// The phase shown at time `t`, and when it began.
    func phase(at t: Double) -> (state: String, start: Double) {
        var current = schedule[0]
        for entry in schedule where entry.start <= t { current = entry }
        return (current.state, current.start)
    }

    /// The turn arrow's phase at time `t` (lanes layout only).
    func arrowPhase(at t: Double) -> (state: String, start: Double) {
        var current = arrowSchedule[0]
        for entry in arrowSchedule where entry.start <= t { current = entry }
        return (current.state, current.start)
    }

    /// The phase that governs `lane` at time `t`.
    func phase(at t: Double, lane: Int) -> (state: String, start: Double) {
        spec.layout == .lanes && lane == 0 ? arrowPhase(at: t) : phase(at: t)
    }

    /// Whether `lane` is the lanes layout's right-turn lane, where turning on red is lawful.
    func isTurnLane(_ lane: Int) -> Bool { spec.layout == .lanes && lane == 2 }

    /// Illumination (scene light) and exposure (camera) factors at time `t`.
    func light(at t: Double) -> (illumination: Double, exposure: Double) {
        guard spec.nuisances.lightDrift || spec.nuisances.exposureJumps else { return (1, 1) }
        var illumination = 1 + 0.12 * sin(2 * Double.pi * t / 47 + driftPhase)
        for cloud in clouds {
            let u = t - cloud.start
            if u > 0, u < 6 { illumination *= 1 - cloud.depth * sin(Double.pi * u / 6) }
        }
        var exposure = 1 + 0.05 * sin(2 * Double.pi * t / 29 + 1.3 * driftPhase)
        // Auto exposure: a jump, settling back over about two seconds.
        for step in exposureSteps where step.start <= t && t - step.start < 8 {
            exposure *= 1 + step.step * exp(-(t - step.start) / 2)
        }
        return (illumination, exposure)
    }

    /// The current camera shake offset in pixels.
    var shakeOffset: (x: Int, y: Int) { (Int(shake.x.rounded()), Int(shake.y.rounded())) }

    /// Advances to the next frame (the first call produces frame 0).
    public mutating func step() {
        let t = Double(frame) / spec.fps
        let dt = 1 / spec.fps
        let (state, start) = phase(at: t)
        if state != lastPhase {
            truth.phases.append(.init(frame: frame, pts: t, state: state))
            // Drivers decide once per amber; one that went on at amber keeps going through red.
            if state == "amber" || state == "green" {
                for i in vehicles.indices { vehicles[i].stopping = nil }
            }
            lastPhase = state
        }
        if spec.layout == .lanes {
            let arrow = arrowPhase(at: t).state
            if arrow != lastArrowPhase {
                truth.arrowPhases?.append(.init(frame: frame, pts: t, state: arrow))
                for i in vehicles.indices where vehicles[i].lane == 0 { vehicles[i].stopping = nil }
                lastArrowPhase = arrow
            }
        }
        if frame > 0 {
            moveVehicles(dt: dt, t: t)
            movePedestrians(dt: dt)
            moveCrossTraffic(dt: dt)
            for i in cyclists.indices { cyclists[i].y += cyclists[i].vy * dt }
            cyclists.removeAll { $0.y < -40 }
        }
        spawnVehicles(t: t)
        if spec.nuisances.cyclists { spawnCyclists(t: t) }
        if spec.nuisances.pedestrians { spawnPedestrians(t: t, state: state) }
        if spec.nuisances.crossTraffic && state == "red" { spawnCrossTraffic(t: t) }
        if spec.nuisances.shake {
            shake.x = max(-2, min(2, 0.85 * shake.x + random.uniform(-0.6...0.6)))
            shake.y = max(-2, min(2, 0.85 * shake.y + random.uniform(-0.6...0.6)))
            if random.chance(0.01) { shake = (random.uniform(-2...2), random.uniform(-2...2)) }
        }
        _ = start
        recordCrossings(t: t)
        frame += 1
    }

    // MARK: vehicles

    private mutating func spawnVehicles(t: Double) {
        for lane in SceneLayout.lanes.indices where t >= nextArrival[lane] {
            let entry = spec.nearEdge + 4
            let spacing = spec.nuisances.closeFollowing ? 6.0 : 20.0
            let blocked = vehicles.contains { $0.lane == lane && $0.bottom > entry - spacing }
            if blocked { continue }
            // Occlusion scenes draw their buses first (other scenes draw nothing more, so they stay as they were).
            if spec.nuisances.occlusion, random.chance(lane == Self.busLane ? 0.45 : 0.1) {
                spawnBus(lane: lane, entry: entry, t: t)
                continue
            }
            let styleRoll = random.uniform(0...1)
            let style: Vehicle.Style = styleRoll < 0.62 ? .car : styleRoll < 0.8 ? .van : styleRoll < 0.92 ? .truck
                : .motorbike
            let (width, length): (Double, Double)
            switch style {
            case .car: (width, length) = (random.uniform(50...62), random.uniform(78...96))
            case .van: (width, length) = (random.uniform(60...70), random.uniform(100...120))
            case .truck, .bus: (width, length) = (random.uniform(72...84), random.uniform(140...175))
            case .motorbike: (width, length) = (random.uniform(20...24), random.uniform(40...46))
            }
            let behaviourRoll = random.uniform(0...1)
            var behaviour: Vehicle.Behaviour
            switch spec.kind {
            case .mixed: behaviour = behaviourRoll < 0.3 ? .runner : behaviourRoll < 0.45 ? .gambler : .obey
            case .allGreen, .allStop: behaviour = .obey
            }
            // Red-light runners are those who meet an empty lane at red: make them common enough to count.
            let laneEmpty = !vehicles.contains { $0.lane == lane && !$0.crossed }
            if spec.kind == .mixed, phase(at: t, lane: lane).state == "red", laneEmpty, random.chance(0.6) {
                behaviour = .runner
            }
            let (lo, hi) = SceneLayout.lanes[lane]
            let centre = (lo + hi) / 2 + random.uniform(-7...7)
            let cruise = style == .truck ? random.uniform(80...130) : random.uniform(100...190)
            // Enter at cruise speed unless the vehicle ahead is slow and close.
            var speed = cruise
            if let ahead = vehicles.filter({ $0.lane == lane }).max(by: { $0.top < $1.top }) {
                let gap = entry - ahead.bottom
                if gap < 150 { speed = min(speed, ahead.speed + gap / 3) }
            }
            var vehicle = Vehicle(id: vehicleCount, lane: lane, centreX: centre, width: width, length: length,
                                  style: style, behaviour: behaviour, body: Self.paint(&random),
                                  accent: Self.paint(&random), top: entry, speed: max(speed, 20), cruise: cruise)
            vehicle.turning = isTurnLane(lane)
            vehicles.append(vehicle)
            vehicleCount += 1
            truth.vehicles = vehicleCount
            let mean = (spec.kind == .allGreen ? 4.5 : 5.5) * (spec.nuisances.closeFollowing ? 0.6 : 1)
            nextArrival[lane] = t + max(spec.nuisances.closeFollowing ? 0.6 : 1.0, random.exponential(mean: mean))
            if spec.nuisances.sideBySide, random.chance(0.6) { spawnTwin(of: vehicle, t: t) }
        }
    }

    /// The lane whose buses hide the lane beyond them from the default camera (standing over the middle lane's
    /// right half: a bus in the middle lane leans over the left lane in the picture).
    static let busLane = 1

    /// A bus (obeying the signal), and in the bus lane a runner beside it in the lane beyond, from the camera's
    /// side, starting a little behind the bus's front so that it overtakes the bus as the bus brakes for the line.
    private mutating func spawnBus(lane: Int, entry: Double, t: Double) {
        let (lo, hi) = SceneLayout.lanes[lane]
        let bus = Vehicle(id: vehicleCount, lane: lane, centreX: (lo + hi) / 2 + random.uniform(-4...4),
                          width: random.uniform(72...78), length: random.uniform(300...350), style: .bus,
                          behaviour: .obey, body: Self.paint(&random), accent: Self.paint(&random), top: entry,
                          speed: random.uniform(70...100), cruise: random.uniform(85...110))
        var busVehicle = bus
        busVehicle.turning = isTurnLane(lane)
        vehicles.append(busVehicle)
        vehicleCount += 1
        truth.vehicles = vehicleCount
        nextArrival[lane] = t + max(2.5, random.exponential(mean: 7))
        let camera = spec.camera ?? SceneCamera()
        let beyond = lane + (bus.centreX < camera.x ? -1 : 1)
        guard lane == Self.busLane, SceneLayout.lanes.indices.contains(beyond) else { return }
        let top = entry + random.uniform(40...200)
        guard !vehicles.contains(where: { $0.lane == beyond && $0.bottom > top - 20 }) else { return }
        let (blo, bhi) = SceneLayout.lanes[beyond]
        let width = random.uniform(52...60)
        let towards = beyond < lane ? 1.0 : -1.0
        let centre = (blo + bhi) / 2 + towards * random.uniform(0...((bhi - blo) / 2 - width / 2 - 2))
        let cruise = random.uniform(120...170)
        var runner = Vehicle(id: vehicleCount, lane: beyond, centreX: centre, width: width,
                             length: random.uniform(80...96), style: .car,
                             behaviour: spec.kind == .mixed ? .runner : .obey, body: Self.paint(&random),
                             accent: Self.paint(&random), top: top, speed: cruise, cruise: cruise)
        runner.turning = isTurnLane(beyond)
        vehicles.append(runner)
        vehicleCount += 1
        truth.vehicles = vehicleCount
        nextArrival[beyond] = max(nextArrival[beyond], t + 2)
    }

    /// A second car beside `leader` in an adjacent lane, a few frames behind it at the same speed and with
    /// the same intent: the pair crosses the line 0–8 frames apart.
    private mutating func spawnTwin(of leader: Vehicle, t: Double) {
        let neighbours = [leader.lane - 1, leader.lane + 1].filter { SceneLayout.lanes.indices.contains($0) }
        guard !neighbours.isEmpty else { return }
        let lane = random.pick(neighbours)
        let lag = leader.speed * random.uniform(0...0.55)
        let entry = leader.top + lag
        guard !vehicles.contains(where: { $0.lane == lane && $0.bottom > entry - 20 }) else { return }
        let (lo, hi) = SceneLayout.lanes[lane]
        // Hugging the shared lane line: the two bodies a few pixels apart.
        let width = random.uniform(52...62)
        let towards = lane > leader.lane ? -1.0 : 1.0
        let centre = (lo + hi) / 2 + towards * ((hi - lo) / 2 - width / 2 - random.uniform(1...4))
        var twin = Vehicle(id: vehicleCount, lane: lane, centreX: centre, width: width,
                           length: random.uniform(78...96), style: .car, behaviour: leader.behaviour,
                           body: Self.paint(&random), accent: Self.paint(&random), top: entry, speed: leader.speed,
                           cruise: leader.cruise)
        twin.turning = isTurnLane(lane)
        vehicles.append(twin)
        vehicleCount += 1
        truth.vehicles = vehicleCount
        nextArrival[lane] = max(nextArrival[lane], t + 1.5)
    }

    /// Vehicle colours: many greys and whites, some dark cars close to the road's grey, some bright.
    static func paint(_ random: inout SceneRandom) -> RGB {
        let palette: [RGB] = [
            RGB(225, 225, 222), RGB(200, 202, 205), RGB(150, 152, 155), RGB(40, 40, 44), RGB(25, 27, 30),
            RGB(120, 20, 25), RGB(30, 50, 120), RGB(20, 90, 50), RGB(210, 170, 40), RGB(110, 110, 112),
            RGB(190, 60, 30), RGB(60, 62, 66),
        ]
        let base = random.pick(palette)
        let k = random.uniform(0.9...1.1)
        return base.scaled(k)
    }

    private mutating func moveVehicles(dt: Double, t: Double) {
        let order = vehicles.indices.sorted { vehicles[$0].top < vehicles[$1].top }
        var leaderOfLane: [Int: Int] = [:]
        for i in order {
            var v = vehicles[i]
            let lineY = SceneLayout.stopLineY(at: v.centreX)
            let beforeLine = v.top > lineY + 1
            let state = phase(at: t, lane: v.lane).state
            var obstacle: (gap: Double, speed: Double)?
            if let leader = leaderOfLane[v.lane] {
                let l = vehicles[leader]
                obstacle = (v.top - l.bottom, l.speed)
            }
            if beforeLine && state != "green" {
                if v.stopping == nil {
                    let distance = v.top - lineY - 3
                    let needed = v.speed * v.speed / (2 * max(distance, 0.1))
                    switch v.behaviour {
                    case _ where v.turning && state == "red": v.stopping = false
                    case .runner: v.stopping = false
                    case .gambler: v.stopping = state == "red" && needed < Self.maxDeceleration * 0.8
                    case .obey: v.stopping = needed < Self.maxDeceleration * 1.3 || state == "red" && distance > 30
                    }
                }
                if v.stopping == true {
                    let gap = v.top - lineY - 3
                    if obstacle == nil || gap < obstacle!.gap { obstacle = (gap, 0) }
                }
            }
            let acceleration = idm(speed: v.speed, cruise: v.cruise, obstacle: obstacle)
            v.speed = max(0, v.speed + acceleration * dt)
            if v.turning && v.crossed {
                // Through the crosswalk into the cross street's eastbound lane, heading right.
                v.centreX += v.speed * dt * 0.9
                v.top -= v.speed * dt * 0.45
            } else {
                v.top -= v.speed * dt
            }
            vehicles[i] = v
            leaderOfLane[v.lane] = i
        }
        vehicles.removeAll { $0.bottom < -30 || $0.left > Double(SceneLayout.width) + 20 }
    }

    /// IDM acceleration towards `cruise` behind an obstacle at `gap` px moving at `speed`.
    func idm(speed: Double, cruise: Double, obstacle: (gap: Double, speed: Double)?) -> Double {
        var a = Self.acceleration * (1 - pow(speed / cruise, 4))
        if let obstacle {
            let closing = speed - obstacle.speed
            let braking = (Self.acceleration * Self.maxDeceleration).squareRoot()
            let desired = jamGap + max(0, speed * headway + speed * closing / (2 * braking))
            let gap = max(obstacle.gap, 0.5)
            a -= Self.acceleration * (desired / gap) * (desired / gap)
        }
        return max(a, -4 * Self.maxDeceleration)
    }

    private mutating func recordCrossings(t: Double) {
        for i in vehicles.indices where vehicles[i].entered == nil
            && vehicles[i].top <= SceneLayout.stopLineY(at: vehicles[i].centreX) {
            vehicles[i].entered = (t, phase(at: t, lane: vehicles[i].lane).state)
        }
        for i in vehicles.indices where !vehicles[i].crossed {
            let v = vehicles[i]
            guard v.bottom <= SceneLayout.stopLineY(at: v.centreX) else { continue }
            vehicles[i].crossed = true
            let (state, redStart) = phase(at: t, lane: v.lane)
            // A right turn on red is lawful in the turn lane: not red for the rule.
            let redFor = state == "red" && !v.turning ? t - redStart : nil
            let tolerance = 3 / spec.fps
            // Entered on this red: its front reached the line after the red came on (a vehicle is never spawned
            // past the line, so `entered` is set by now).
            let entry = v.entered ?? (t, state)
            let enteredOnRed = redFor != nil && entry.t >= redStart - 1e-9
            let violation = enteredOnRed && redFor.map { $0 >= spec.graceSeconds } ?? false
            // Within ±3 frames of the grace boundary, or of the red's onset when the front reached the line: neither a
            // hit nor a miss whichever way it goes.
            let ambiguous = redFor.map {
                abs($0 - spec.graceSeconds) <= tolerance + 1e-9
                    || $0 >= spec.graceSeconds && abs(entry.t - redStart) <= tolerance + 1e-9
            } ?? false
            var box = [v.left, v.top, v.right, v.bottom]
            var occluded: Double?
            if let camera = spec.camera {
                box = Self.projectedBox(v, camera) ?? box
                occluded = cover(of: v, camera)
            }
            truth.crossings.append(.init(vehicle: v.id, frame: frame, pts: t, signal: state,
                                         redFor: redFor.map { ($0 * 1000).rounded() / 1000 }, violation: violation,
                                         ambiguous: ambiguous, box: box, lane: v.lane, occluded: occluded,
                                         entered: entry.state))
        }
    }

    static func projectedBox(_ v: Vehicle, _ camera: SceneCamera) -> [Double]? {
        camera.boundingBox(left: v.left, top: v.top, right: v.right, bottom: v.bottom, tall: v.tall)
    }

    /// The largest share of `v`'s projected box that one nearer vehicle's projected box covers.
    private func cover(of v: Vehicle, _ camera: SceneCamera) -> Double {
        guard let a = Self.projectedBox(v, camera) else { return 0 }
        let area = (a[2] - a[0]) * (a[3] - a[1])
        var most = 0.0
        for w in vehicles where w.id != v.id && w.bottom > v.bottom {
            guard let b = Self.projectedBox(w, camera) else { continue }
            let overlap = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
            most = max(most, overlap / area)
        }
        return (most * 100).rounded() / 100
    }

    // MARK: pedestrians and cross traffic

    private mutating func spawnCyclists(t: Double) {
        guard t >= nextCyclist else { return }
        nextCyclist = t + random.exponential(mean: 3.5)
        let lane = SceneLayout.lanes[Int(random.next() % UInt64(SceneLayout.lanes.count))]
        let bike = random.chance(0.65)
        let x = random.chance(0.5) ? lane.0 + random.uniform(8...14) : lane.1 - random.uniform(8...14)
        cyclists.append(Cyclist(clothing: Self.paint(&random), bike: bike, x: x, y: spec.nearEdge + 34,
                                vy: bike ? -random.uniform(55...90) : -random.uniform(28...42)))
        cyclistCount += 1
        truth.cyclists = cyclistCount
    }

    private mutating func spawnPedestrians(t: Double, state: String) {
        guard t >= nextPedestrian else { return }
        nextPedestrian = t + random.exponential(mean: 2.5)
        let clothing = Self.paint(&random)
        let group = random.chance(0.3) ? 2 : 1
        let crossing = state == "red" && random.chance(0.5)
        for member in 0..<group {
            let offset = Double(member) * 13
            if crossing {
                let eastward = random.chance(0.5)
                let y = random.uniform(SceneLayout.crosswalk.top + 20...SceneLayout.crosswalk.bottom) + offset * 0.2
                pedestrians.append(Pedestrian(clothing: clothing, x: eastward ? 120 - offset : 520 + offset, y: y,
                                              vx: eastward ? 38 : -38, vy: 0))
            } else {
                let leftSide = random.chance(0.5)
                let x = (leftSide ? random.uniform(110...135) : random.uniform(505...530)) + offset
                let up = random.chance(0.5)
                pedestrians.append(Pedestrian(clothing: clothing, x: x, y: up ? spec.nearEdge + 30 : 40, vx: 0,
                                              vy: up ? -random.uniform(25...45) : random.uniform(25...45)))
            }
            pedestrianCount += 1
        }
        truth.pedestrians = pedestrianCount
    }

    private mutating func movePedestrians(dt: Double) {
        for i in pedestrians.indices {
            pedestrians[i].x += pedestrians[i].vx * dt
            pedestrians[i].y += pedestrians[i].vy * dt
        }
        let far = spec.nearEdge + 40
        pedestrians.removeAll { $0.x < -20 || $0.x > 660 || $0.y < 30 || $0.y > far }
    }

    private mutating func spawnCrossTraffic(t: Double) {
        guard t >= nextCross else { return }
        nextCross = t + random.uniform(1.5...4)
        let westward = random.chance(0.5)
        let (top, bottom) = SceneLayout.crossLanes[westward ? 0 : 1]
        let length = random.uniform(80...130)
        let speed = random.uniform(150...240)
        crossVehicles.append(CrossVehicle(top: top + 2, length: length, height: bottom - top - 4,
                                          body: Self.paint(&random), left: westward ? 660 : -20 - length,
                                          vx: westward ? -speed : speed))
    }

    private mutating func moveCrossTraffic(dt: Double) {
        for i in crossVehicles.indices { crossVehicles[i].left += crossVehicles[i].vx * dt }
        crossVehicles.removeAll { $0.left > 700 || $0.left + $0.length < -60 }
    }
}
