// The one per-platform registry: facts constructs declare, singletons they claim, and the ordered
// stages in which derived objects are produced from those facts.
import { IConstruct } from 'constructs';
import { configError, pathOf, PlatformError, problemLine } from './errors';

/**
 * The stages in which derived objects are made, in the order they run. Each stage reads facts
 * that earlier stages and the constructors declared, and may declare facts for later stages, never
 * for its own or an earlier one (the registry refuses that). Steps within one stage are independent
 * of each other; they run in declaration order.
 */
export const DeriveStages = {
  /** Shared servers render what their consumers asked for: provisioning, ACL users, RBAC. */
  SERVERS: 'servers',
  /** One Ingress set and Certificate per host, from every declared route. */
  ROUTES: 'routes',
  /** Connections known only once every construct exists: scrape targets, forward auth, SSO rules. */
  CONNECTIONS: 'connections',
  /** Objects derived from the secret inventory (ExternalSecrets). */
  SECRETS: 'secrets',
  /** NetworkPolicies from every declared traffic rule. */
  NETWORK_POLICIES: 'network-policies',
  /** The GitOps engine's objects (Applications, Kustomizations) from every namespace and release. */
  GITOPS: 'gitops',
} as const;
export type DeriveStage = (typeof DeriveStages)[keyof typeof DeriveStages];
const STAGE_ORDER: readonly DeriveStage[] = Object.values(DeriveStages);

/** A kind of fact collection that exists once per platform, created on first use. */
export class FactKey<T> {
  /** @param create makes the collection; `registry` is the platform's, to schedule derive steps. */
  constructor(public readonly name: string, public readonly create: (registry: PlatformRegistry, platform: IConstruct) => T) {}
}

/** A role that at most one construct per platform fills (the ingress controller, the SSO provider). */
export class SlotKey<T> {
  /**
   * @param what the role in error messages (`ingress controller`)
   * @param fix what to do about a second claimant
   * @param problem the message's problem, given the first claimant's path
   */
  constructor(
    public readonly what: string,
    public readonly fix: string,
    public readonly problem: (existing: string) => string = (existing) => `is already declared by ${existing}`,
  ) {}
  /** Type marker only. */
  protected readonly _value?: T;
}

interface Step { readonly stage: DeriveStage; readonly owner: string; readonly run: () => void }

/** Facts, slots and derive steps of one platform. `Platform.registry` is the only instance. */
export class PlatformRegistry {
  private readonly facts = new Map<FactKey<unknown>, unknown>();
  private readonly slots = new Map<SlotKey<unknown>, { owner: IConstruct; value: unknown }>();
  private readonly steps: Step[] = [];
  /** Index in STAGE_ORDER of the stage running now; -1 before derivation. */
  private stageIndex = -1;
  private readonly reported: string[] = [];

  constructor(private readonly platform: IConstruct) {}

  /** The platform's collection of this kind, created on first use. */
  public fact<T>(key: FactKey<T>): T {
    if (!this.facts.has(key)) this.facts.set(key, key.create(this, this.platform));
    return this.facts.get(key) as T;
  }

  /** Fills a slot; a second claimant is a configuration error naming both. */
  public claim<T>(key: SlotKey<T>, owner: IConstruct, value: T): void {
    const existing = this.slots.get(key);
    if (existing) {
      throw configError(owner, { field: key.what, value: pathOf(owner), problem: key.problem(pathOf(existing.owner)), fix: key.fix });
    }
    this.slots.set(key, { owner, value });
  }

  /** The slot's value, if a construct claimed it. */
  public slot<T>(key: SlotKey<T>): T | undefined {
    return this.slots.get(key)?.value as T | undefined;
  }

  /** The construct that claimed the slot. */
  public slotOwner(key: SlotKey<unknown>): IConstruct | undefined {
    return this.slots.get(key)?.owner;
  }

  /** Schedules `run` for `stage`. Declared from constructors, or from a step of an earlier stage. */
  public derive(stage: DeriveStage, owner: IConstruct | string, run: () => void): void {
    this.assertOpen(stage, owner, `a ${stage} step`);
    this.steps.push({ stage, owner: pathOf(owner), run });
  }

  /**
   * Throws when `stage` has already started: a fact for it would be missed. Collections call this
   * before accepting a fact their stage consumes.
   */
  public assertOpen(stage: DeriveStage, owner: IConstruct | string, what: string): void {
    if (STAGE_ORDER.indexOf(stage) <= this.stageIndex) {
      throw new PlatformError(`${pathOf(owner)}: ${what} declared after synthesis started (its ${stage} stage has run); declare it in a constructor`);
    }
  }

  /** Records one formatted problem (see core/problems.ts reportProblem); synth fails with all of them. */
  public report(line: string): void {
    this.reported.push(line);
  }

  /**
   * Details that explain a problem but are not problems themselves (the capacity table): printed
   * after the report, so every report line stays `<path>: <field> ... Fix: ...`.
   */
  public readonly notes: string[] = [];

  /** Every problem recorded so far, in the order reported. */
  public get problems(): readonly string[] {
    return this.reported;
  }

  /**
   * Runs every step, stage by stage. Called once, by Platform before it validates and renders.
   * A step that throws is recorded as a problem and the other steps of its stage still run, so
   * one synth reports them all; later stages are skipped, since they read what it would have made.
   */
  public runDerivations(): void {
    if (this.stageIndex >= 0) return;
    for (let i = 0; i < STAGE_ORDER.length; i++) {
      this.stageIndex = i;
      const before = this.reported.length;
      // Steps declared by this stage's own steps are refused by assertOpen, so the list is stable.
      for (const step of this.steps.filter((s) => s.stage === STAGE_ORDER[i])) {
        try {
          step.run();
        } catch (e) {
          this.report(problemLine(e, step.owner));
        }
      }
      if (this.reported.length > before) return;
    }
  }
}
