// `densho org add`: register (or, with --update, amend) an orderer, a surety company or the platform organisation.
import type { Kysely } from 'kysely';
import { isValidDate, isValidOrdererCode } from '../../domain/certificate.ts';
import type { Database } from '../../repos/database.ts';
import { findOrganisation, type OrgKind } from '../../repos/organisations.ts';
import {
  type AdminChange,
  applyAdminChange,
  type Command,
  displayName,
  flag,
  required,
  str,
  UsageError,
} from './shared.ts';

/** Surety and platform codes: short, lower-case, URL- and log-safe (they appear in every certificate leaf). */
export const ORG_CODE_RE = /^[a-z0-9][a-z0-9-]{1,31}$/;

export interface OrgInput {
  kind: OrgKind;
  code: string;
  name: string;
  acceptsEsurety: boolean;
  acceptsSince: string | null;
  update: boolean;
}

export function validateOrg(values: {
  kind?: string;
  code?: string;
  name?: string;
  acceptsEsurety: boolean;
  acceptsSince?: string;
  update: boolean;
}): OrgInput {
  const kind = values.kind;
  if (kind !== 'orderer' && kind !== 'surety' && kind !== 'platform') {
    throw new UsageError('--kind must be orderer, surety or platform, e.g. --kind orderer');
  }
  const code = (values.code ?? '').trim();
  if (kind === 'orderer') {
    if (!isValidOrdererCode(code)) {
      throw new UsageError(
        `--code ${JSON.stringify(code)} is not an orderer code — use the 6-digit 全国地方公共団体コード (e.g. 092134) or the 13-digit 法人番号 (e.g. 2000012100001), check digit included`,
      );
    }
  } else if (!ORG_CODE_RE.test(code)) {
    throw new UsageError(
      `--code ${JSON.stringify(code)} is not a ${kind} code — use 2–32 lower-case letters, digits and hyphens, starting with a letter or digit (e.g. ejcs)`,
    );
  }
  const name = displayName(values.name ?? '', '--name');
  if (kind !== 'orderer' && (values.acceptsEsurety || values.acceptsSince !== undefined)) {
    throw new UsageError('--accepts-esurety and --accepts-since apply to orderers only — drop them');
  }
  let acceptsSince: string | null = null;
  if (values.acceptsSince !== undefined) {
    if (!values.acceptsEsurety) {
      throw new UsageError(
        '--accepts-since needs --accepts-esurety (it is the date the orderer began accepting 電子保証)',
      );
    }
    if (!isValidDate(values.acceptsSince)) {
      throw new UsageError(`--accepts-since must be a real date YYYY-MM-DD, e.g. --accepts-since 2022-05-09`);
    }
    acceptsSince = values.acceptsSince;
  }
  return { kind, code, name, acceptsEsurety: values.acceptsEsurety, acceptsSince, update: values.update };
}

const KIND_LABEL: Record<OrgKind, string> = {
  orderer: 'orderer',
  surety: 'surety',
  platform: 'platform organisation',
};

/** The rows for an org add/update; refuses duplicates (without --update) and updates of missing ones. */
export async function prepareOrg(db: Kysely<Database>, input: OrgInput, now: number): Promise<AdminChange> {
  const existing = await findOrganisation(db, input.kind, input.code);
  const label = `${KIND_LABEL[input.kind]} ${input.code}`;
  if (existing && !input.update) {
    throw new UsageError(
      `${label} already exists (${existing.name}) — nothing was changed; to change its name or acceptance, run the same command with --update`,
    );
  }
  if (!existing && input.update) {
    throw new UsageError(`there is no ${label} to update — drop --update to add it`);
  }
  const detail = {
    kind: input.kind,
    code: input.code,
    name: input.name,
    acceptsEsurety: input.acceptsEsurety,
    acceptsSince: input.acceptsSince,
  };
  if (existing) {
    return {
      writes: [
        db
          .updateTable('organisations')
          .set({
            name: input.name,
            accepts_esurety: input.acceptsEsurety ? 1 : 0,
            accepts_since: input.acceptsSince,
          })
          .where('id', '=', existing.id)
          .compile(),
      ],
      action: 'admin.org.update',
      orgCode: input.code,
      detail: {
        ...detail,
        previous: { name: existing.name, acceptsEsurety: existing.accepts_esurety === 1 },
      },
      done: `updated ${label}: ${input.name}${acceptance(input)}`,
    };
  }
  return {
    writes: [
      db
        .insertInto('organisations')
        .values({
          kind: input.kind,
          code: input.code,
          name: input.name,
          accepts_esurety: input.acceptsEsurety ? 1 : 0,
          accepts_since: input.acceptsSince,
          created_at: now,
        })
        .compile(),
    ],
    action: 'admin.org.add',
    orgCode: input.code,
    detail,
    done: `added ${label}: ${input.name}${acceptance(input)}`,
  };
}

function acceptance(input: OrgInput): string {
  if (input.kind !== 'orderer') return '';
  if (!input.acceptsEsurety) return ' (does not accept 電子保証 yet)';
  return input.acceptsSince ? ` (accepts 電子保証 since ${input.acceptsSince})` : ' (accepts 電子保証)';
}

export const orgAdd: Command = {
  name: 'org add',
  summary: 'register an orderer (発注者), a surety company (保証会社) or the platform organisation',
  usage:
    'densho org add --kind orderer|surety|platform --code CODE --name NAME [--accepts-esurety] [--accepts-since YYYY-MM-DD] [--update]',
  help: `Orderers are named by 発注者コード: the 6-digit 全国地方公共団体コード (e.g. 092134 那須塩原市) or the
13-digit 法人番号 for national bodies (e.g. 2000012100001 国土交通省); the check digit is verified.
Surety and platform codes are 2–32 lower-case letters, digits and hyphens (e.g. ejcs); a surety's code is
written into every certificate leaf it pushes.

  --accepts-esurety        the orderer accepts 電子保証 (listed on GET /api/v1/orderers; certificates may name it)
  --accepts-since DATE     since when (YYYY-MM-DD); needs --accepts-esurety
  --update                 change the name/acceptance of an existing organisation of the same kind and code
                           (without it, an existing code is refused and nothing is written)

Examples:
  densho org add --kind orderer --code 092134 --name 那須塩原市長 --accepts-esurety --accepts-since 2022-05-09
  densho org add --kind surety --code ejcs --name 東日本建設業保証株式会社`,
  options: {
    kind: { type: 'string' },
    code: { type: 'string' },
    name: { type: 'string' },
    'accepts-esurety': { type: 'boolean' },
    'accepts-since': { type: 'string' },
    update: { type: 'boolean' },
  },
  async run(ctx) {
    const input = validateOrg({
      kind: required(ctx.values, 'kind', 'orderer'),
      code: required(ctx.values, 'code', '092134'),
      name: required(ctx.values, 'name', '那須塩原市長'),
      acceptsEsurety: flag(ctx.values, 'accepts-esurety'),
      acceptsSince: str(ctx.values, 'accepts-since'),
      update: flag(ctx.values, 'update'),
    });
    await applyAdminChange(ctx, 'org add', (opened) => prepareOrg(opened.db, input, Date.now()));
  },
};
