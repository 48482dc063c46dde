import { describe, expect, it } from '@jest/globals'
import { historyInstruction, layerIdentity } from '../../src/measure/bytes/layer-identity.js'

/** Created-by texts as engine 20.10's BuildKit and classic builder record them (`docker history --no-trunc`). */
describe('the instruction a history entry records', () => {
  it.each([
    ['RUN /bin/sh -c apt-get install -y gcc # buildkit', 'RUN', 'RUN apt-get install -y gcc'],
    ['RUN |2 FOO=bar BAZ=a b /bin/sh -c echo $FOO > /tmp/foo # buildkit', 'RUN', 'RUN echo $FOO > /tmp/foo'],
    ['RUN |2 FOO=bar BAZ=a b sh -c echo exec > /tmp/e # buildkit', 'RUN', 'RUN echo exec > /tmp/e'],
    ['RUN |1 FOO=bar /bin/sh -o pipefail -c echo `date` > /tmp/d # buildkit', 'RUN', 'RUN echo `date` > /tmp/d'],
    ['RUN echo exec # buildkit', 'RUN', 'RUN echo exec'],
    ['COPY . /app # buildkit', 'COPY', 'COPY . /app'],
    ['ADD Dockerfile /app/D2 # buildkit', 'ADD', 'ADD Dockerfile /app/D2'],
    ['WORKDIR /app', 'WORKDIR', 'WORKDIR /app'],
    ['/bin/sh -c apt-get update', 'RUN', 'RUN apt-get update'],
    [
      '|2 BAZ=a b FOO=bar /bin/sh -c head -c 1000 /dev/urandom > /tmp/x',
      'RUN',
      'RUN head -c 1000 /dev/urandom > /tmp/x'
    ],
    ['|1 FOO=bar echo exec', 'RUN', 'RUN echo exec'],
    ['/bin/sh -c #(nop) COPY file:fc574cb6 in /app/ ', 'COPY', 'COPY file:fc574cb6 in /app/'],
    ['/bin/sh -o pipefail -c #(nop)  ENV A=b', 'ENV', 'ENV A=b'],
    ['/bin/sh -c #(nop) WORKDIR /app', 'WORKDIR', 'WORKDIR /app'],
    [
      "# debian.sh --arch 'amd64' out/ 'bookworm' '@1717977600'",
      '',
      "# debian.sh --arch 'amd64' out/ 'bookworm' '@1717977600'"
    ],
    ['', '', '']
  ])('%j is %j: %j', (createdBy, keyword, text) => {
    expect(historyInstruction(createdBy)).toEqual({ keyword, text })
  })

  it('names a layer by its number and a short text, and no Dockerfile line', () => {
    const digest = 'fc574cb6befbfe66c4bb4d7b61c011f42f2f41a520a2a342eb309459bc4ede20'
    expect(layerIdentity(`/bin/sh -c #(nop) COPY file:${digest} in /app/ `, 3)).toEqual({
      line: 0,
      keyword: 'COPY',
      layer: 3,
      text: 'COPY file:fc574cb6befb… in /app/'
    })
    expect(layerIdentity(`RUN /bin/sh -c echo \`date\` && ${'x'.repeat(80)} # buildkit`, 4)).toEqual({
      line: 0,
      keyword: 'RUN',
      layer: 4,
      text: `RUN echo 'date' && ${'x'.repeat(40)}…`
    })
    expect(layerIdentity('', 1)).toEqual({ line: 0, keyword: '', layer: 1 })
  })
})
